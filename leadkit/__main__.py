from leadkit.cli import main

# Guarded: worker processes (spawned for the second core) import this module again.
if __name__ == "__main__":
    main()
