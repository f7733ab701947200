package dev.cardsmith.applet.piv;

import dev.cardsmith.applet.platform.ApduIo;
import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.applet.platform.Tlv;
import javacard.framework.APDU;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.RandomData;

/**
 * The PIV data objects (SP 800-73-4 Part 1, Table 3) this card keeps, in one table: CHUID,
 * CCC, key history and the four X.509 certificate objects (tag 5FC1xx), plus the read-only
 * discovery object (7E). All are readable without a PIN (their SP 800-73-4 read rule: "always");
 * PUT DATA needs the administration key (9B).
 *
 * <p>Each object is stored as the {@code 53 L value} TLV GET DATA answers. PUT DATA validates
 * first: the whole command (chained or not) sits in the persistent staging buffer, which nothing
 * reads, and is checked there (tag list, one 53 TLV ending the data, its value a sequence of
 * well-formed BER-TLVs, a certificate object starting with 70 and a DER SEQUENCE); only then one
 * transaction journals "copy the staging buffer into object i" ({@link #copyPending}, the
 * object's length 0), the copy runs, and a second transaction publishes the length. A tear before
 * the first commit keeps the old object, after it the next command finishes the copy.
 */
final class DataObjects {

    static final byte NONE = (byte) 0xFF;
    /** Third tag byte of each stored object, in table order. */
    private static final byte[] IDS = {
        Constants.OBJ_CHUID, Constants.OBJ_CCC, Constants.OBJ_KEY_HISTORY,
        Constants.OBJ_CERT_9A, Constants.OBJ_CERT_9C, Constants.OBJ_CERT_9D, Constants.OBJ_CERT_9E,
    };
    private static final short CHUID = 0;
    private static final short CCC = 1;
    private static final short FIRST_CERT = 3;
    private static final byte DISCOVERY = (byte) 0x7F;

    /** The discovery object: PIV AID, PIN usage policy 40 00 (the PIV PIN only). */
    private static final byte[] DISCOVERY_OBJECT = {
        Constants.TAG_DISCOVERY, 0x12,
        Constants.TAG_AID, 0x0B, (byte) 0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00,
        0x5F, 0x2F, 0x02, 0x40, 0x00,
    };
    /** CHUID: FASC-N (the non-federal test value), GUID (random at install) at 31, expiry, empty signature, LRC. */
    private static final byte[] CHUID_TEMPLATE = {
        Constants.TAG_DATA, 0x3B,
        0x30, 0x19, (byte) 0xD4, (byte) 0xE7, 0x39, (byte) 0xDA, 0x73, (byte) 0x9C, (byte) 0xED, 0x39, (byte) 0xCE, 0x73,
        (byte) 0x9D, (byte) 0x83, 0x68, 0x58, 0x21, 0x08, 0x42, 0x10, (byte) 0x84, 0x21, (byte) 0xC8, 0x42, 0x10, (byte) 0xC3, (byte) 0xEB,
        0x34, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0x35, 0x08, '2', '0', '3', '0', '1', '2', '3', '1',
        0x3E, 0x00, (byte) 0xFE, 0x00,
    };
    private static final short CHUID_GUID = 31;
    /** CCC: card identifier (GSC-IS RID, type 02, 14 random bytes at 9), versions, LRC. */
    private static final byte[] CCC_TEMPLATE = {
        Constants.TAG_DATA, 0x33,
        (byte) 0xF0, 0x15, (byte) 0xA0, 0x00, 0x00, 0x01, 0x16, (byte) 0xFF, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        (byte) 0xF1, 0x01, 0x21, (byte) 0xF2, 0x01, 0x21, (byte) 0xF3, 0x00, (byte) 0xF4, 0x01, 0x00, (byte) 0xF5, 0x01, 0x10,
        (byte) 0xF6, 0x00, (byte) 0xF7, 0x00, (byte) 0xFA, 0x00, (byte) 0xFB, 0x00, (byte) 0xFC, 0x00, (byte) 0xFD, 0x00, (byte) 0xFE, 0x00,
    };
    private static final short CCC_CARD_ID = 9;
    private static final short RANDOM_ID = 14;

    private final Object[] store;
    /** Length of each stored 53 TLV (0: absent). */
    final short[] length;
    /** The object being copied from the staging buffer (journal), or NONE. */
    byte copyPending = NONE;
    short copyFrom;
    short copyLength;

    DataObjects(RandomData random) {
        short n = (short) IDS.length;
        store = new Object[n];
        length = new short[n];
        for (short i = 0; i < n; i++) store[i] = new byte[max(i)];
        length[CHUID] = install(CHUID, CHUID_TEMPLATE, CHUID_GUID, (short) 16, random);
        length[CCC] = install(CCC, CCC_TEMPLATE, CCC_CARD_ID, RANDOM_ID, random);
    }

    private short install(short i, byte[] template, short randomAt, short randomLength, RandomData random) {
        byte[] b = object(i);
        short len = (short) template.length;
        Util.arrayCopyNonAtomic(template, (short) 0, b, (short) 0, len);
        random.generateData(b, randomAt, randomLength);
        return len;
    }

    private static short max(short i) {
        if (i >= FIRST_CERT) return Constants.CERT_OBJECT_MAX;
        return i == CHUID ? Constants.CHUID_MAX : Constants.SMALL_OBJECT_MAX;
    }

    private byte[] object(short i) {
        return (byte[]) store[i];
    }

    /** The certificate object index of a slot (9A, 9C, 9D, 9E order). */
    static boolean isCertificate(short i) {
        return i >= FIRST_CERT;
    }

    /**
     * Parses the tag list {@code 5C 01 7E} or {@code 5C 03 5F C1 xx} at the reader's position:
     * returns the object index, or DISCOVERY; 6A82 for a well-formed tag of an object this card
     * does not keep.
     */
    private static short find(Tlv tlv, byte[] b) {
        short len = tlv.expect((short) (Constants.TAG_TAG_LIST & 0xFF), (short) 1, (short) 3);
        short v = tlv.valueOffset();
        if (len == 1) {
            if (b[v] != Constants.TAG_DISCOVERY) ISOException.throwIt(Sw.FILE_NOT_FOUND);
            return DISCOVERY;
        }
        if (len != 3) ISOException.throwIt(Sw.WRONG_DATA);
        if (b[v] != Constants.OBJ_PREFIX_1 || b[(short) (v + 1)] != Constants.OBJ_PREFIX_2) ISOException.throwIt(Sw.FILE_NOT_FOUND);
        byte id = b[(short) (v + 2)];
        for (short i = 0; i < (short) IDS.length; i++) {
            if (IDS[i] == id) return i;
        }
        ISOException.throwIt(Sw.FILE_NOT_FOUND);
        return NONE;
    }

    /** GET DATA 3F FF, data 5C tag: answers the object (53 ... or 7E ...), 6A82 when absent. */
    void get(APDU apdu, ApduIo io, Tlv tlv) {
        byte[] buf = apdu.getBuffer();
        if (Util.getShort(buf, ISO7816.OFFSET_P1) != Constants.P1P2_DATA) ISOException.throwIt(Sw.INCORRECT_P1P2);
        short len = io.receive(apdu, (short) 1, (short) 255, false);
        tlv.start(buf, apdu.getOffsetCdata(), len);
        short i = find(tlv, buf);
        tlv.finish();
        if (i == DISCOVERY) {
            io.send(apdu, DISCOVERY_OBJECT, (short) 0, (short) DISCOVERY_OBJECT.length);
            return;
        }
        if (length[i] == 0) ISOException.throwIt(Sw.FILE_NOT_FOUND);
        io.send(apdu, object(i), (short) 0, length[i]);
    }

    /** PUT DATA 3F FF, data 5C tag || 53 L value (53 00 deletes); chaining allowed. */
    void put(APDU apdu, ApduIo io, Tlv tlv, boolean longAllowed) {
        byte[] buf = apdu.getBuffer();
        if (Util.getShort(buf, ISO7816.OFFSET_P1) != Constants.P1P2_DATA) ISOException.throwIt(Sw.INCORRECT_P1P2);
        short len = io.receive(apdu, (short) 1, Constants.STAGING, longAllowed);
        if (len == ApduIo.IN_CHAIN) return;
        byte[] staging = io.staging();
        byte[] src = io.data(apdu);
        if (src != staging) Util.arrayCopyNonAtomic(src, io.dataOffset(apdu), staging, (short) 0, len);
        tlv.start(staging, (short) 0, len);
        short i = find(tlv, staging);
        if (i == DISCOVERY) ISOException.throwIt(Sw.SECURITY_STATUS_NOT_SATISFIED); // read-only here
        short from = tlv.position();
        short vlen = tlv.expect((short) (Constants.TAG_DATA & 0xFF), (short) 0, Constants.CERT_OBJECT_MAX);
        short objectLength = (short) (tlv.position() - from);
        tlv.finish();
        if (objectLength > max(i)) ISOException.throwIt(Sw.NOT_ENOUGH_MEMORY);
        validate(tlv, staging, tlv.valueOffset(), vlen, isCertificate(i));
        JCSystem.beginTransaction();
        length[i] = 0;
        if (vlen > 0) {
            copyPending = (byte) i;
            copyFrom = from;
            copyLength = objectLength;
        }
        JCSystem.commitTransaction();
        completePendingCopy(staging);
    }

    /** The value of 53: BER-TLVs to its end; a certificate object begins with 70 holding a DER SEQUENCE. */
    private static void validate(Tlv tlv, byte[] b, short off, short len, boolean certificate) {
        if (len == 0) return;
        tlv.start(b, off, len);
        boolean first = true;
        while (tlv.next()) {
            if (first && certificate
                    && (tlv.tag() != (short) (Constants.TAG_CERTIFICATE & 0xFF) || tlv.length() == 0 || b[tlv.valueOffset()] != (byte) 0x30)) {
                ISOException.throwIt(Sw.WRONG_DATA);
            }
            first = false;
        }
        tlv.finish();
    }

    /** Finishes a journalled copy (after PUT DATA's commit, or after a tear, before anything reuses the staging). */
    void completePendingCopy(byte[] staging) {
        byte i = copyPending;
        if (i == NONE) return;
        Util.arrayCopyNonAtomic(staging, copyFrom, object(i), (short) 0, copyLength);
        JCSystem.beginTransaction();
        length[i] = copyLength;
        copyPending = NONE;
        JCSystem.commitTransaction();
    }
}
