from memcli.frontends.cli.app import main

main()
