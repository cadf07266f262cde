"""``python -m newcomb`` runs the command line."""

from newcomb.cli import main

if __name__ == "__main__":
    main()
