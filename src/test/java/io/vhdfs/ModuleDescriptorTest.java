package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.nio.VhdFileSystemProvider;
import io.vhdfs.nio.VhdFileTypeDetector;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.spi.FileSystemProvider;
import java.nio.file.spi.FileTypeDetector;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The suite runs on the class path (services file); this pins the other registration, the module
 * descriptor, and that the library needs nothing beyond java.base.
 */
class ModuleDescriptorTest {
  private static ModuleDescriptor descriptor() throws URISyntaxException {
    Path classes = Path.of(
        VhdFileSystemProvider.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    return ModuleFinder.of(classes).find("io.vhdfs").orElseThrow().descriptor();
  }

  @Test
  void moduleProvidesTheFileSystemProvider() throws Exception {
    ModuleDescriptor d = descriptor();
    assertTrue(d.provides().stream().anyMatch(p ->
        p.service().equals(FileSystemProvider.class.getName())
            && p.providers().equals(List.of(VhdFileSystemProvider.class.getName()))));
  }

  @Test
  void moduleAndServicesFileProvideTheFileTypeDetector() throws Exception {
    assertTrue(descriptor().provides().stream().anyMatch(p ->
        p.service().equals(FileTypeDetector.class.getName())
            && p.providers().equals(List.of(VhdFileTypeDetector.class.getName()))));
    Path classes = Path.of(
        VhdFileSystemProvider.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    assertEquals(List.of(VhdFileTypeDetector.class.getName()), Files.readAllLines(
        classes.resolve("META-INF/services/java.nio.file.spi.FileTypeDetector")));
  }

  @Test
  void moduleExportsOnlyThePublicApiAndRequiresOnlyJavaBase() throws Exception {
    ModuleDescriptor d = descriptor();
    assertEquals(Set.of("io.vhdfs", "io.vhdfs.nio"), d.exports().stream()
        .map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()));
    assertEquals(Set.of("java.base"), d.requires().stream()
        .map(ModuleDescriptor.Requires::name).collect(Collectors.toSet()));
  }

  @Test
  void servicesFileNamesTheProvider() throws Exception {
    Path classes = Path.of(
        VhdFileSystemProvider.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    assertEquals(List.of(VhdFileSystemProvider.class.getName()), Files.readAllLines(
        classes.resolve("META-INF/services/java.nio.file.spi.FileSystemProvider")));
  }
}
