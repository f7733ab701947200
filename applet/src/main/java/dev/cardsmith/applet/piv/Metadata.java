package dev.cardsmith.applet.piv;

import dev.cardsmith.applet.platform.ApduIo;
import dev.cardsmith.applet.platform.Sw;
import javacard.framework.APDU;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.OwnerPIN;

/**
 * GET METADATA (Yubico PIV extension, INS F7, P1 00, P2 key reference), no PIN needed, so a
 * host can tell an uninitialised card and read a slot's public key without a certificate:
 * <ul>
 * <li>80 / 81: {@code 01 01 FF, 05 01 default, 06 02 limit remaining};</li>
 * <li>9B: {@code 01 01 alg, 02 02 01 01, 05 01 default};</li>
 * <li>9A/9C/9D/9E: {@code 01 01 alg, 02 02 policy 01, 03 01 01 (generated on card), 04 L public key}
 * (6A88 for an empty slot).</li>
 * </ul>
 */
final class Metadata {

    private Metadata() {}

    private static final byte ORIGIN = (byte) 0x03;
    private static final byte GENERATED = (byte) 0x01;
    private static final byte PIN_ALGORITHM = (byte) 0xFF;
    private static final byte TOUCH_NEVER = (byte) 0x01;

    static void send(APDU apdu, ApduIo io, Pins pins, ManagementKey mgmt, KeySlots slots, byte[] s) {
        byte[] buf = apdu.getBuffer();
        if (buf[ISO7816.OFFSET_P1] != 0) ISOException.throwIt(Sw.INCORRECT_P1P2);
        io.requireNoData(apdu);
        byte ref = buf[ISO7816.OFFSET_P2];
        short o = 0;
        if (ref == Constants.KEY_PIN || ref == Constants.KEY_PUK) {
            boolean isPin = ref == Constants.KEY_PIN;
            OwnerPIN p = isPin ? pins.pin : pins.puk;
            o = tlv1(s, o, Constants.TAG_META_ALGORITHM, PIN_ALGORITHM);
            o = tlv1(s, o, Constants.TAG_META_DEFAULT, (byte) ((isPin ? pins.pinDefault : pins.pukDefault) ? 1 : 0));
            s[o++] = Constants.TAG_META_RETRIES;
            s[o++] = 2;
            s[o++] = isPin ? Constants.PIN_TRY_LIMIT : Constants.PUK_TRY_LIMIT;
            s[o++] = p.getTriesRemaining();
        } else if (ref == Constants.KEY_MANAGEMENT_ADMIN) {
            o = tlv1(s, o, Constants.TAG_META_ALGORITHM, mgmt.alg);
            o = policy(s, o, Constants.POLICY_NEVER);
            o = tlv1(s, o, Constants.TAG_META_DEFAULT, (byte) (mgmt.isDefault ? 1 : 0));
        } else {
            byte slot = KeySlots.slotOf(ref);
            slots.pair(slot); // 6A88 when empty
            o = tlv1(s, o, Constants.TAG_META_ALGORITHM, slots.algorithm[slot]);
            o = policy(s, o, slot == Constants.SLOT_9E ? Constants.POLICY_NEVER
                    : slot == Constants.SLOT_9C ? Constants.POLICY_ALWAYS : Constants.POLICY_ONCE);
            o = tlv1(s, o, ORIGIN, GENERATED);
            s[o++] = Constants.TAG_META_PUBLIC_KEY;
            short lenAt = o;
            o += 3;
            short n = slots.publicKey(slot, s, o, true);
            if (n < 0x80) { // the short length form: move the key up
                s[lenAt] = (byte) n;
                javacard.framework.Util.arrayCopyNonAtomic(s, o, s, (short) (lenAt + 1), n);
                o = (short) (lenAt + 1 + n);
            } else {
                s[lenAt] = (byte) 0x82;
                javacard.framework.Util.setShort(s, (short) (lenAt + 1), n);
                o += n;
            }
        }
        io.send(apdu, s, (short) 0, o);
    }

    private static short tlv1(byte[] s, short o, byte tag, byte value) {
        s[o++] = tag;
        s[o++] = 1;
        s[o++] = value;
        return o;
    }

    private static short policy(byte[] s, short o, byte pin) {
        s[o++] = Constants.TAG_META_POLICY;
        s[o++] = 2;
        s[o++] = pin;
        s[o++] = TOUCH_NEVER;
        return o;
    }
}
