package io.vhdfs.disk;

import io.vhdfs.VhdFormatException;

/**
 * The memory the block tables of images opened together may take, claimed by each image before
 * it reads its table, so that a crafted chain of images with huge tables is refused before it is
 * allocated ({@link ParentChain#MAX_TABLE_ENTRIES}).
 */
@FunctionalInterface
public interface TableBudget {
  /**
   * Refuses a table of {@code entries} entries that would take the chain past its budget.
   *
   * @param image the image, as named in messages
   * @param at where the image records the table's size, for messages
   */
  void claim(String image, long at, long entries) throws VhdFormatException;
}
