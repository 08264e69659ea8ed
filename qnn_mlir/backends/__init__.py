"""Back ends: from the compiler's IR to files for other tools (hls/: Vitis HLS C++)."""
