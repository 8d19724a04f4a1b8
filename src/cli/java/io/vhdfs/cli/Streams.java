package io.vhdfs.cli;

import java.io.PrintWriter;

/** Where a command prints: its results on {@code out}, errors and progress on {@code err}. */
record Streams(PrintWriter out, PrintWriter err) {}
