from tinhso.cli import main

main()
