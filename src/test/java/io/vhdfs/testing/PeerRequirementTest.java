package io.vhdfs.testing;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

final class PeerRequirementTest {
  private static final String MISSING = "qemu-img not found on PATH; install qemu-utils";

  @Test
  void missingPeerSkipsWhenPeersAreNotRequired() {
    TestAbortedException skip = assertThrows(TestAbortedException.class,
        () -> PeerRequirement.assumePresent(false, MISSING, false));
    assertTrue(skip.getMessage().contains(MISSING), skip.getMessage());
  }

  @Test
  void missingPeerFailsWithTheSameMessageWhenPeersAreRequired() {
    AssertionFailedError failure = assertThrows(AssertionFailedError.class,
        () -> PeerRequirement.assumePresent(false, MISSING, true));
    assertTrue(failure.getMessage().contains(MISSING), failure.getMessage());
    assertTrue(failure.getMessage().contains(PeerRequirement.PROPERTY),
        "the failure says which switch made it one: " + failure.getMessage());
  }

  @Test
  void presentPeerNeitherSkipsNorFails() {
    assertDoesNotThrow(() -> PeerRequirement.assumePresent(true, MISSING, true));
    assertDoesNotThrow(() -> PeerRequirement.assumePresent(true, MISSING, false));
  }

  @Test
  void requirementComesFromThePropertyOrElseTheVariable() {
    assertFalse(PeerRequirement.peersRequired(null, null), "neither set: skip");
    assertTrue(PeerRequirement.peersRequired(null, "true"), "CI exports the variable");
    assertTrue(PeerRequirement.peersRequired("true", null));
    assertTrue(PeerRequirement.peersRequired("TRUE", "false"), "the property wins");
    assertFalse(PeerRequirement.peersRequired("false", "true"),
        "-Dvhdfs.requirePeers=false turns an exported variable off for one run");
    assertFalse(PeerRequirement.peersRequired(null, "false"));
    assertFalse(PeerRequirement.peersRequired("", null), "an empty -D is not a requirement");
  }

  @Test
  void valueThatIsNeitherTrueNorFalseIsAnErrorNamingTheSwitch() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PeerRequirement.peersRequired(null, "yes"));
    assertTrue(e.getMessage().contains(PeerRequirement.VARIABLE), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> PeerRequirement.peersRequired("1", null));
    assertTrue(e.getMessage().contains(PeerRequirement.PROPERTY), e.getMessage());
  }

  /** CI runs the README's command unchanged, so the switch reaches the tests as the variable. */
  @Test
  void ciScriptExportsTheVariable() throws IOException {
    Path script = Path.of(".ci", "run");
    assertTrue(Files.isRegularFile(script), "tests run from the project directory: " + script
        .toAbsolutePath());
    List<String> lines = Files.readAllLines(script);
    assertTrue(lines.contains("export " + PeerRequirement.VARIABLE + "=true"),
        script + " must export " + PeerRequirement.VARIABLE + "=true");
    int export = lines.indexOf("export " + PeerRequirement.VARIABLE + "=true");
    int verify = lines.indexOf("mvn -B verify");
    assertTrue(verify > export, script + " must run 'mvn -B verify' after the export");
  }
}
