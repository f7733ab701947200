package dev.cardsmith.tear;

import dev.cardsmith.simulator.AppletRegistry;
import dev.cardsmith.simulator.tear.TearingSimulator;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardTransport;
import dev.cardsmith.vault.ChipInfo;
import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.vault.VaultCard;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

import static org.junit.jupiter.api.Assertions.*;

/** The sweep itself: it visits every tear point of a small flow and reports a broken invariant with its point. */
@dev.cardsmith.support.SimulatorOnly("tears inside a command need the rollback runtime (TearingSimulator), which only a simulated card has")
class TearSweepSelfTest {
    private static final byte[] MANUFACTURER = EcP256.encode(EcP256.generate().getPublic());

    /** SELECT + SET MANUFACTURER KEY (setW, then the flag that makes the key live). */
    private static TearSweep.Result sweepSetManufacturerKey(BiConsumer<ChipInfo, Map<String, String>> check) {
        return TearSweep.sweep("vault put-key", "vault", new TearSweep.Flow() {
            @Override public TearingSimulator start() { return new TearingSimulator(List.of(AppletRegistry.byName("vault"))); }

            @Override
            public void run(CardTransport t) {
                VaultCard vc = new VaultCard(new CardSession(t));
                vc.select();
                vc.setManufacturerKey(MANUFACTURER);
            }

            @Override
            public void recover(TearingSimulator card, TearSweep.Point p, Map<String, String> before) {
                check.accept(new VaultCard(new CardSession(card)).select(), card.persistentState("vault"));
            }
        });
    }

    @Test
    void aKeyMadeLiveByAFlagWrittenAfterItIsOldOrNewAtEveryTearPoint() {
        TearSweep.Result r = sweepSetManufacturerKey((info, state) -> {
            if (info.manufacturerKey() != null) assertArrayEquals(MANUFACTURER, info.manufacturerKey(), "a half-written key went live");
        });
        assertEquals(List.of(), r.failures());
        assertEquals(List.of(), r.notFired());
        assertEquals(List.of(0, 3), r.writesPerApdu(), "SELECT none; PUT DATA: setW (two write points) and the flag");
    }

    @Test
    void aBrokenInvariantIsReportedWithItsTearPoint() {
        TearSweep.Result r = sweepSetManufacturerKey((info, state) -> assertNull(info.manufacturerKey(), "key set"));
        assertFalse(r.failures().isEmpty(), "the sweep must report the points after the flag write");
        assertTrue(r.failures().stream().allMatch(f -> f.contains("APDU 2 (INS DA) after write 3") || f.contains("APDU 2 (INS DA) after its response")),
                r.failures().toString());
        assertEquals(2, r.failures().size(), r.failures().toString());
    }
}
