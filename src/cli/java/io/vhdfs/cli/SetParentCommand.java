package io.vhdfs.cli;

import io.vhdfs.nio.VhdImages;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vhd set-parent CHILD NEW-PARENT}: points a child at its moved or copied parent. */
@Command(name = "set-parent", mixinStandardHelpOptions = true,
    description = "Point a differencing image at its parent's new place (Set-VHD -ParentPath): "
        + "its parent locators are rewritten, its data is not touched. A parent whose id (VHD: "
        + "unique id; VHDX: DataWriteGuid) differs from the one the child records is refused; "
        + "with --ignore-parent-id it is taken and its id recorded.")
final class SetParentCommand implements Callable<Integer> {
  @Mixin CommonOptions options;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "CHILD", description = "The differencing image.")
  Path child;

  @Parameters(index = "1", paramLabel = "NEW-PARENT", description = "Its parent, where it is "
      + "now.")
  Path parent;

  @Override
  public Integer call() throws Exception {
    VhdImages.SetParent r = VhdImages.setParent(child, parent, options.ignoreParentId);
    PrintWriter out = spec.commandLine().getOut();
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
