/**
 * {@code vhd}, the command-line tool: a shell over the public API ({@code VhdImages} and
 * the {@code vhd:} file systems), built into its own jar so the library keeps no runtime
 * dependency.
 *
 * <p>Design note. The tool is a shell: each command parses its options, calls the public API and
 * prints the result, for people or as JSON, so whatever it does a program can do too.
 *
 * <p>Import rule: the root and {@code nio}, the public API only.
 */
package io.vhdfs.cli;
