package io.vhdfs.vhd;

import io.vhdfs.disk.CheckFindings;

/** What a repair of a VHD rewrites to fix a finding ({@link VhdChecker} says in which order). */
enum VhdRepair implements CheckFindings.Fix {
  /** The footer at the end of the file. */
  END_FOOTER,
  /** The footer copy at offset 0. */
  FOOTER_COPY,
  /** BAT entries pointing outside the file, marked unallocated. */
  BAT_ENTRY
}
