import sys

if __name__ == "__main__":
    import gc

    # No collection while the modules load (they make thousands of objects and no cyclic
    # garbage; each collection rescanned all of them: 1-2 ms of a one-file run). main() then
    # tunes the collector for the run itself.
    gc.disable()
    from lunalint.cli import main

    gc.enable()
    sys.exit(main())
else:  # imported, not run (multiprocessing's spawned workers import it as __mp_main__)
    from lunalint.cli import main  # noqa: F401
