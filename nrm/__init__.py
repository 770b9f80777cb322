"""NRM: information system for a country's National Referral Mechanism."""
