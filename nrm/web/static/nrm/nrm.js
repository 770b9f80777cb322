// NRM: small progressive enhancements; pages work without it.
