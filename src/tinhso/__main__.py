from tinhso.cli import main

if __name__ == "__main__":  # also imported by multiprocessing's spawn in a child process
    main()
