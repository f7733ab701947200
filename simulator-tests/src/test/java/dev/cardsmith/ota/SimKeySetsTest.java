package dev.cardsmith.ota;

import dev.cardsmith.applet.sim.Constants;
import dev.cardsmith.crypto.Hex;
import dev.cardsmith.simulator.AppletRegistry;
import dev.cardsmith.simulator.AppletSpec;
import dev.cardsmith.simulator.uicc.ToolkitParams;
import dev.cardsmith.support.CardTest;
import dev.cardsmith.support.CardUnderTest;
import dev.cardsmith.transport.CardSession;
import org.junit.jupiter.api.Test;

import javax.smartcardio.ResponseAPDU;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Several OTA key sets on the card (TS 102 225 5.1.2 / 5.1.3.1): the KIc and KID octets pick the
 * keys by algorithm and key index; AES-128, two-key and three-key 3DES; single DES refused.
 */
@CardTest
class SimKeySetsTest {

    static final byte[] STATUS = RemoteCommands.create().status().bytes();
    static final Spi SPI = Spi.secure(Spi.CounterMode.HIGHER);
    static final byte[] TAR = DevKeys.keys().tar();

    static final OtaKeys AES1 = DevKeys.keys();
    static final OtaKeys TDES3_2 = new OtaKeys(OtaKeys.Algorithm.TDES3, 2,
            Hex.parse("0123456789ABCDEF23456789ABCDEF01456789ABCDEF0123"), 2,
            Hex.parse("89ABCDEF01234567ABCDEF0123456789CDEF0123456789AB"), TAR);
    static final OtaKeys TDES2_3 = new OtaKeys(OtaKeys.Algorithm.TDES2, 3,
            Hex.parse("1112131415161718191A1B1C1D1E1F10"), 3, Hex.parse("2122232425262728292A2B2C2D2E2F20"), TAR);

    static CardSession card(byte[] params) {
        AppletSpec spec = AppletRegistry.byName("sim").withInstallParams(params).withToolkitParams(ToolkitParams.ofTars(TAR).encode());
        return new CardSession(CardUnderTest.fresh(List.of(spec)));
    }

    static ResponsePacket status(CardSession c, OtaKeys k, long counter) {
        ResponseAPDU r = c.transmit(OtaServer.envelopeApdu(OtaFixture.envelopes(CommandPacket.encode(k, SPI, counter, STATUS)).get(0)));
        assertEquals(0x9000, r.getSW());
        return ResponsePacket.decode(k, SPI, r.getData());
    }

    @Test
    void threeKeySetsEachPickedByItsKicAndKidIndex() {
        try (CardSession c = card(OtaKeys.installParams(DevKeys.MSL, List.of(AES1, TDES3_2, TDES2_3)))) {
            c.select(OtaServer.simAid());
            long ctr = 1;
            for (OtaKeys k : List.of(AES1, TDES3_2, TDES2_3, AES1)) {
                ResponsePacket por = status(c, k, ctr++);
                assertEquals(Constants.POR_OK, por.status(), k.toString());
                assertTrue(por.authenticated(), "PoR under the packet's own key set: " + k);
                assertEquals(Constants.STATE_EMPTY, SimStatus.parse(por.compact().data()).state());
            }
            // one counter for all sets: a packet under another set with an old counter is a replay
            assertEquals(Constants.POR_CNTR_LOW, status(c, TDES2_3, 2).status());
            // index 4 is no set of this card; index 2 is a 3DES set, not an AES one
            OtaKeys unknown = OtaKeys.aes(4, AES1.kic(), 4, AES1.kid(), TAR);
            assertEquals(Constants.POR_UNIDENTIFIED_SECURITY_ERROR, status(c, unknown, ctr++).status());
            OtaKeys wrongAlg = OtaKeys.aes(2, AES1.kic(), 2, AES1.kid(), TAR);
            assertEquals(Constants.POR_UNIDENTIFIED_SECURITY_ERROR, status(c, wrongAlg, ctr++).status());
        }
    }

    /** The third key of a three-key set is used: the same keys as a two-key set (K3 = K1) fail the CC. */
    @Test
    void threeKeyTripleDesUsesTheThirdKey() {
        try (CardSession c = card(TDES3_2.installParams(DevKeys.MSL))) {
            c.select(OtaServer.simAid());
            assertEquals(Constants.POR_OK, status(c, TDES3_2, 1).status());
            byte[] kic = java.util.Arrays.copyOf(TDES3_2.kic(), 24);
            byte[] kid = java.util.Arrays.copyOf(TDES3_2.kid(), 24);
            System.arraycopy(kic, 0, kic, 16, 8);
            System.arraycopy(kid, 0, kid, 16, 8);
            OtaKeys k1k2k1 = new OtaKeys(OtaKeys.Algorithm.TDES3, 2, kic, 2, kid, TAR);
            int st = status(c, k1k2k1, 2).status();
            assertTrue(st == Constants.POR_RC_CC_DS_FAILED || st == Constants.POR_CIPHERING_ERROR, "status " + st);
        }
    }

    @Test
    void installRefusesSingleDesTooManySetsAndMixedAlgorithms() {
        byte[] des = new byte[] {0x11, 1, 2, 3, 4, 5, 6, 7, 8, 0x11, 1, 2, 3, 4, 5, 6, 7, 8};
        byte[] singleDes = Hex.parse(Hex.of(des) + Hex.of(TAR) + "16");
        assertThrows(RuntimeException.class, () -> card(singleDes).close(), "single DES");
        assertThrows(IllegalArgumentException.class, () -> OtaKeys.installParams(0x16,
                List.of(new OtaKeys(OtaKeys.Algorithm.DES, 1, new byte[8], 1, new byte[8], TAR))));
        byte[] four = OtaKeys.installParams(DevKeys.MSL, List.of(AES1, TDES3_2, TDES2_3));
        byte[] aes5 = OtaKeys.aes(5, AES1.kic(), 5, AES1.kid(), TAR).installParams(DevKeys.MSL);
        byte[] fourSets = Hex.parse(Hex.of(java.util.Arrays.copyOf(four, four.length - 4)) + Hex.of(java.util.Arrays.copyOf(aes5, 34))
                + Hex.of(TAR) + "16");
        assertThrows(RuntimeException.class, () -> card(fourSets).close(), "four sets");
        byte[] mixed = AES1.installParams(DevKeys.MSL);
        mixed[17] = 0x51; // KID id says two-key 3DES, KIc id AES
        assertThrows(RuntimeException.class, () -> card(mixed).close(), "KIc and KID of one set with different algorithms");
        byte[] cut = java.util.Arrays.copyOf(AES1.installParams(DevKeys.MSL), 30);
        assertThrows(RuntimeException.class, () -> card(cut).close(), "truncated");
    }
}
