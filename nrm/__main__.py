from nrm.cli import main

main()
