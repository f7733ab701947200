package dev.cardsmith.fuzz;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The EC states' live AUTHENTICATE (SimEcStates) reaches what it is there for: the point check
 * (6A80), the signature check (6982) and, with a genuine proof, ECDH and the key delivery (9000);
 * and its rule fires on a card that would accept a proof the terminal did not make.
 */
@dev.cardsmith.support.SimulatorOnly("fuzzing digests the applets' persistent fields by reflection into the jCardSim card")
class SimEcFuzzTest {

    @Test
    void liveAuthenticateReachesThePointCheckTheSignatureCheckAndEcdh() {
        FuzzEngine.Target t = AppletStates.byName("sim/ec-initialized");
        Map<String, FuzzEngine.Finding> findings = new LinkedHashMap<>();
        Map<String, Integer> counts = new LinkedHashMap<>();
        SplittableRandom seeds = new SplittableRandom(5);
        try (StateFixture f = t.open().get()) {
            for (int i = 0; i < 250; i++) {
                CaseGenerator.Case c = f.generator().generate(seeds.nextLong());
                if (c.recipe().startsWith("live EC AUTHENTICATE")) FuzzEngine.runCase(t, f, c, findings, counts);
            }
        }
        assertTrue(findings.isEmpty(), () -> findings.values().iterator().next().describe());
        for (String sw : new String[] {"42:9000", "42:6A80", "42:6982"}) {
            assertTrue(counts.containsKey(FuzzEngine.OUTCOME + sw), () -> sw + " not reached: " + counts.keySet());
        }
    }

    @Test
    void ruleFiresOnlyWhenAProofTheTerminalDidNotMakeIsAccepted() {
        FuzzEngine.Target t = AppletStates.byName("sim/ec-initialized");
        byte[] ok = {(byte) 0x90, 0x00};
        byte[] refused = {0x69, (byte) 0x82};
        boolean forged = false;
        boolean genuine = false;
        SplittableRandom seeds = new SplittableRandom(7);
        try (StateFixture f = t.open().get()) {
            for (int i = 0; i < 400 && !(forged && genuine); i++) {
                CaseGenerator.Case c = f.generator().generate(seeds.nextLong());
                if (c.apdus().size() != 1 || !c.recipe().startsWith("live EC AUTHENTICATE")) continue;
                byte[] a = c.apdus().get(0);
                if (c.recipe().contains("sig: r+n") || c.recipe().contains("E_T off the curve")) {
                    assertNotNull(f.violation(a, ok), c.recipe());
                    assertNull(f.violation(a, refused), c.recipe());
                    forged = true;
                } else if (c.recipe().equals("live EC AUTHENTICATE genuine")) {
                    assertNull(f.violation(a, ok), c.recipe());
                    genuine = true;
                }
            }
        }
        assertTrue(forged && genuine, "no forged or no genuine single-APDU case in 400");
    }
}
