"""The fuzzer of the command-line tools (run it with tools/fuzz.py; docs/fuzzing.md).

harness.py runs and judges one case; seeds.py builds the starting models;
*_mutations.py mutate models, IR, inputs and options; families.py turns them
into cases; oracles.py and emitted_files.py are the differential checks;
campaign.py runs a campaign and tabulates it.
"""
