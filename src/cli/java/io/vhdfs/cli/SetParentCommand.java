package io.vhdfs.cli;

import io.vhdfs.nio.VhdImages;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code vhd set-parent CHILD NEW-PARENT}: points a child at its moved or copied parent. */
final class SetParentCommand implements Subcommand {
  final CommonOptions options = new CommonOptions();

  Path child;
  Path parent;

  @Override
  public CommandSyntax syntax() {
    CommandSyntax syntax = CommandSyntax.of("set-parent",
        "Point a differencing image at its parent's new place (Set-VHD -ParentPath): its parent "
            + "locators are rewritten, its data is not touched. A parent whose id (VHD: unique id; "
            + "VHDX: DataWriteGuid) differs from the one the child records is refused; with "
            + "--ignore-parent-id it is taken and its id recorded.")
        .parameter("CHILD", "The differencing image.",
            v -> child = Path.of(v))
        .parameter("NEW-PARENT", "Its parent, where it is now.",
            v -> parent = Path.of(v));
    options.addTo(syntax);
    return syntax;
  }

  @Override
  public int call(Streams io) throws Exception {
    VhdImages.SetParent r = VhdImages.setParent(child, parent, options.ignoreParentId);
    PrintWriter out = io.out();
    if (options.json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("child", r.child().toString());
      m.put("parent", r.parent().toString());
      m.put("oldParentId", r.oldParentId().toString());
      m.put("newParentId", r.newParentId().toString());
      m.put("idReplaced", r.idReplaced());
      out.println(Json.of(m));
    } else {
      out.println("set the parent of " + r.child() + " to " + r.parent()
          + (r.idReplaced() ? " (parent id " + r.oldParentId() + " replaced by "
              + r.newParentId() + ")" : ""));
    }
    return VhdCli.OK;
  }
}
