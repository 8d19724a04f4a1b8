package io.vhdfs.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * qemu-img and qemu-io driven for VHDX images ({@code -f vhdx}), on top of {@link QemuTools},
 * which skips or fails the calling test when they are missing.
 */
public final class VhdxTools {
  private static final Duration TIMEOUT = Duration.ofMinutes(2);
  private static final Pattern VIRTUAL_SIZE = Pattern.compile("\"virtual-size\":\\s*(\\d+)");
  private static final Pattern CLUSTER_SIZE = Pattern.compile("\"cluster-size\":\\s*(\\d+)");

  private final QemuTools qemu;

  private VhdxTools(QemuTools qemu) {
    this.qemu = qemu;
  }

  /** The tools, or the calling test is skipped (failed where peers are required). */
  public static VhdxTools require() {
    return new VhdxTools(QemuTools.require());
  }

  /** {@code qemu-img create -f vhdx [-o options] image size}. */
  public void create(Path image, long size, String options) {
    List<String> args = new ArrayList<>(List.of("create", "-q", "-f", "vhdx"));
    if (!options.isEmpty()) {
      args.addAll(List.of("-o", options));
    }
    args.addAll(List.of(image.toString(), Long.toString(size)));
    qemu.qemuImg(args.toArray(String[]::new));
  }

  /** One {@code qemu-io} run applying the writes in order. */
  public void write(Path image, List<QemuTools.Write> writes) {
    List<String> args = new ArrayList<>(List.of("-f", "vhdx"));
    for (QemuTools.Write w : writes) {
      args.add("-c");
      args.add(String.format("write -P 0x%02x %d %d", w.pattern(), w.offset(), w.length()));
    }
    args.add(image.toString());
    qemu.qemuIo(args.toArray(String[]::new));
  }

  /** {@code qemu-img convert -f raw -O vhdx -o options raw image}. */
  public void convertFromRaw(Path raw, Path image, String options) {
    qemu.qemuImg("convert", "-f", "raw", "-O", "vhdx", "-o", options, raw.toString(),
        image.toString());
  }

  /** {@code qemu-img convert -f vhdx -O raw}. */
  public void convertToRaw(Path image, Path raw) {
    qemu.qemuImg("convert", "-f", "vhdx", "-O", "raw", image.toString(), raw.toString());
  }

  /** {@code qemu-img info -f vhdx --output=json}. */
  public String infoJson(Path image) {
    return qemu.qemuImg("info", "-f", "vhdx", "--output=json", image.toString());
  }

  /** The virtual size qemu-img reports. */
  public long virtualSize(Path image) {
    return number(VIRTUAL_SIZE, infoJson(image));
  }

  /** The cluster (block) size qemu-img reports. */
  public long clusterSize(Path image) {
    return number(CLUSTER_SIZE, infoJson(image));
  }

  /** {@code qemu-img check -f vhdx [-r all]}: its exit and output. */
  public QemuTools.Exit check(Path image, boolean repairAll) {
    List<String> args = new ArrayList<>(List.of(qemuImgPath(), "check", "-f", "vhdx"));
    if (repairAll) {
      args.addAll(List.of("-r", "all"));
    }
    args.add(image.toString());
    return QemuTools.runForExit(TIMEOUT, args);
  }

  /** {@code qemu-img compare -f vhdx -F raw image raw}. */
  public QemuTools.Exit compare(Path image, Path raw) {
    return QemuTools.runForExit(TIMEOUT, List.of(qemuImgPath(), "compare", "-f", "vhdx", "-F",
        "raw", image.toString(), raw.toString()));
  }

  /** {@code qemu-io -r -f vhdx -c 'read -P pattern offset length'}: how the check ends. */
  public QemuTools.Exit readPattern(Path image, int pattern, long offset, long length) {
    return QemuTools.runForExit(TIMEOUT, List.of(qemuIoPath(), "-r", "-f", "vhdx", "-c",
        String.format("read -P 0x%02x %d %d", pattern, offset, length), image.toString()));
  }

  /** {@code qemu-io -r -f vhdx -c 'read 0 512'}: how a read-only QEMU open ends. */
  public QemuTools.Exit readOnlyOpen(Path image) {
    return QemuTools.runForExit(TIMEOUT, List.of(qemuIoPath(), "-r", "-f", "vhdx", "-c",
        "read 0 512", image.toString()));
  }

  private static String qemuImgPath() {
    return QemuTools.onPath("qemu-img").orElseThrow().toString();
  }

  private static String qemuIoPath() {
    return QemuTools.onPath("qemu-io").orElseThrow().toString();
  }

  private static long number(Pattern p, String json) {
    Matcher m = p.matcher(json);
    if (!m.find()) {
      fail("no " + p + " in qemu-img info output:\n" + json);
    }
    return Long.parseLong(m.group(1));
  }
}
