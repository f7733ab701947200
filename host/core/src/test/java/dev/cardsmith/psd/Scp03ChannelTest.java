package dev.cardsmith.psd;

import dev.cardsmith.crypto.Hex;
import dev.cardsmith.transport.ApduChannel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The SCP03 channel wrapper against the pySim traces of {@link Scp03KnownAnswerTest}: a scripted
 * card expects exactly the protected bytes of the trace and answers with the trace's responses,
 * so a caller that sends the plain command gets the plain answer, and a flipped response byte
 * (R-MAC levels) is refused.
 */
class Scp03ChannelTest {

    /** A card that checks each command against the script and answers from it. */
    private static final class ScriptedCard implements ApduChannel {
        final Deque<String[]> script = new ArrayDeque<>();
        void expect(String command, String response) { script.add(new String[] {command.toUpperCase(), response}); }
        @Override public ResponseAPDU transmit(CommandAPDU c) {
            String[] next = script.removeFirst();
            assertEquals(next[0], Hex.of(c.getBytes()), "the bytes on the wire");
            return new ResponseAPDU(Hex.parse(next[1]));
        }
    }

    private static Scp03Channel open(Properties p, String lv, ScriptedCard card, String eidResponse) {
        byte[] iu = Hex.parse(p.getProperty(lv + ".init_upd_cmd"));
        byte[] ea = Hex.parse(p.getProperty(lv + ".ext_auth_cmd"));
        card.expect(p.getProperty(lv + ".init_upd_cmd"), p.getProperty(lv + ".init_upd_rsp") + "9000");
        card.expect(p.getProperty(lv + ".ext_auth_cmd"), "9000");
        card.expect(p.getProperty(lv + ".get_eid_cmd"), eidResponse);
        Scp03 scp = new Scp03(Scp03.StaticKey.of(Hex.parse(p.getProperty("enc"))), Scp03.StaticKey.of(Hex.parse(p.getProperty("mac"))));
        return Scp03Channel.open(card, scp, iu[2] & 0xFF, Arrays.copyOfRange(iu, 5, 13), ea[2] & 0xFF);
    }

    @ParameterizedTest
    @ValueSource(strings = {"l11", "l03", "l33"})
    void plainCommandInPlainAnswerOut(String lv) throws Exception {
        Properties p = Scp03KnownAnswerTest.v();
        ScriptedCard card = new ScriptedCard();
        Scp03Channel ch = open(p, lv, card, p.getProperty(lv + ".get_eid_rsp") + "9000");
        ResponseAPDU r = ch.transmit(new CommandAPDU(Hex.parse(p.getProperty("plain.get_eid"))));
        assertEquals(0x9000, r.getSW());
        if (!lv.equals("l03")) assertEquals(p.getProperty("plain.get_eid_rsp").toUpperCase(), Hex.of(r.getData()));
        assertEquals(0, card.script.size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"l11", "l33"})
    void aResponseByteFlippedOnTheWayIsRefused(String lv) throws Exception {
        Properties p = Scp03KnownAnswerTest.v();
        byte[] rsp = Hex.parse(p.getProperty(lv + ".get_eid_rsp") + "9000");
        rsp[3] ^= 1;
        Scp03Channel ch = open(p, lv, new ScriptedCard(), Hex.of(rsp));
        assertThrows(Scp03.Scp03Exception.class, () -> ch.transmit(new CommandAPDU(Hex.parse(p.getProperty("plain.get_eid")))));
    }

    @ParameterizedTest
    @ValueSource(strings = {"l33"})
    void errorStatusWordsArePassedUp(String lv) throws Exception {
        Properties p = Scp03KnownAnswerTest.v();
        Scp03Channel ch = open(p, lv, new ScriptedCard(), "6982");
        assertEquals(0x6982, ch.transmit(new CommandAPDU(Hex.parse(p.getProperty("plain.get_eid")))).getSW());
    }
}
