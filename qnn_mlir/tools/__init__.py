"""Console-script entry points: qnn-opt, qnn-translate, qnn-run."""
