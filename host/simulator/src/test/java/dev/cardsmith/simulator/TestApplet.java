package dev.cardsmith.simulator;

import dev.cardsmith.transport.*;
import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.ECPublicKey;
import javacard.security.KeyBuilder;
import javacard.security.KeyPair;
import javacard.security.RandomData;

/** A small applet that exercises the transport: chaining in, 61xx/6Cxx out, on-card keys, persistent state. */
public class TestApplet extends Applet {
    static final byte INS_PUBKEY = 0x01;
    static final byte INS_COUNT = 0x02;
    static final byte INS_CHAINED_SUM = 0x03;
    static final byte INS_LONG = 0x04;
    static final byte INS_EXACT_LE = 0x05;
    static final byte INS_RANDOM = 0x06;
    static final byte INS_REGENERATE = 0x07;

    private final KeyPair kp;
    private final RandomData rng;
    private final byte[] buf;
    private final short[] state;
    private short counter;

    TestApplet() {
        kp = new KeyPair(KeyPair.ALG_EC_FP, KeyBuilder.LENGTH_EC_FP_256);
        kp.genKeyPair();
        rng = RandomData.getInstance(RandomData.ALG_SECURE_RANDOM);
        buf = JCSystem.makeTransientByteArray((short) 800, JCSystem.CLEAR_ON_DESELECT);
        state = JCSystem.makeTransientShortArray((short) 2, JCSystem.CLEAR_ON_DESELECT); // [0] chained length, [1] long-response offset
    }

    public static void install(byte[] b, short off, byte len) {
        new TestApplet().register(b, (short) (off + 1), b[off]);
    }

    @Override
    public void process(APDU apdu) {
        if (selectingApplet()) return;
        byte[] a = apdu.getBuffer();
        boolean chained = (a[ISO7816.OFFSET_CLA] & 0x10) != 0;
        switch (a[ISO7816.OFFSET_INS]) {
            case INS_PUBKEY: {
                short n = ((ECPublicKey) kp.getPublic()).getW(a, (short) 0);
                apdu.setOutgoingAndSend((short) 0, n);
                return;
            }
            case INS_COUNT:
                counter++;
                Util.setShort(a, (short) 0, counter);
                apdu.setOutgoingAndSend((short) 0, (short) 2);
                return;
            case INS_CHAINED_SUM: {
                short n = apdu.setIncomingAndReceive();
                Util.arrayCopyNonAtomic(a, ISO7816.OFFSET_CDATA, buf, state[0], n);
                state[0] += n;
                if (chained) return;
                short total = state[0];
                short sum = 0;
                for (short i = 0; i < total; i++) sum += (short) (buf[i] & 0xFF);
                state[0] = 0;
                Util.setShort(a, (short) 0, total);
                Util.setShort(a, (short) 2, sum);
                apdu.setOutgoingAndSend((short) 0, (short) 4);
                return;
            }
            case INS_LONG: {
                short total = Util.getShort(a, ISO7816.OFFSET_P1);
                for (short i = 0; i < total; i++) buf[i] = (byte) i;
                state[1] = 0;
                state[0] = total;
                sendChunk(apdu);
                return;
            }
            case (byte) 0xC0:
                sendChunk(apdu);
                return;
            case INS_EXACT_LE: {
                short want = (short) (a[ISO7816.OFFSET_P1] & 0xFF);
                short le = apdu.setOutgoing();
                if (le != want) ISOException.throwIt((short) (0x6C00 | want));
                apdu.setOutgoingLength(want);
                Util.arrayFillNonAtomic(a, (short) 0, want, (byte) 0x5A);
                apdu.sendBytes((short) 0, want);
                return;
            }
            case INS_REGENERATE: {
                kp.genKeyPair();
                short n = ((ECPublicKey) kp.getPublic()).getW(a, (short) 0);
                apdu.setOutgoingAndSend((short) 0, n);
                return;
            }
            case INS_RANDOM:
                rng.generateData(a, (short) 0, (short) 16);
                apdu.setOutgoingAndSend((short) 0, (short) 16);
                return;
            default:
                ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
    }

    private void sendChunk(APDU apdu) {
        short remaining = (short) (state[0] - state[1]);
        short n = remaining > 200 ? 200 : remaining;
        Util.arrayCopyNonAtomic(buf, state[1], apdu.getBuffer(), (short) 0, n);
        state[1] += n;
        apdu.setOutgoingAndSend((short) 0, n);
        remaining = (short) (state[0] - state[1]);
        if (remaining > 0) ISOException.throwIt((short) (0x6100 | (remaining > 255 ? 0 : remaining)));
    }
}
