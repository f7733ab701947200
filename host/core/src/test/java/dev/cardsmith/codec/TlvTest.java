package dev.cardsmith.codec;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Both TLV forms without a card (moved from the module's and the vault's tests, with negatives for each rule). */
class TlvTest {

    static final class CallerException extends RuntimeException {
        CallerException(String m) { super(m); }
    }

    @Test
    void berReaderRejectsOverlongLengths() {
        assertThrows(IllegalArgumentException.class, () -> new Tlv.Reader(new byte[]{0x5F, 0x49, 0x05, 1, 2}).next());
        assertThrows(IllegalArgumentException.class, () -> new Tlv.Reader(new byte[]{(byte) 0x86, (byte) 0x83, 0, 0, 1}).next());
        Tlv.Element e = new Tlv.Reader(Tlv.of(0x7F21, new byte[300])).next();
        assertEquals(0x7F21, e.tag());
        assertEquals(300, e.value().length);
        assertEquals(0, e.start());
        assertEquals(2 + 3 + 300, e.end());
    }

    @Test
    void berLengthFormsRoundTrip() {
        for (int n : new int[] {0, 0x7F, 0x80, 0xFF, 0x100, 1000}) {
            byte[] enc = Tlv.of(0x86, new byte[n]);
            Tlv.Reader r = new Tlv.Reader(enc);
            assertEquals(n, r.expect(0x86).value().length);
            r.expectEnd();
        }
    }

    @Test
    void errorsAreOfTheCallersTypeWhenNamed() {
        byte[] two = Tlv.concat(Tlv.of(0x80, new byte[] {1}), Tlv.of(0x81, new byte[] {2}));
        Tlv.Reader r = new Tlv.Reader(two, CallerException::new);
        assertThrows(CallerException.class, () -> r.expect(0x81), "wrong tag");
        Tlv.Reader trailing = new Tlv.Reader(two, CallerException::new);
        trailing.expect(0x80);
        assertThrows(CallerException.class, trailing::expectEnd);
        assertThrows(CallerException.class, () -> new Tlv.Reader(new byte[] {(byte) 0x80}, CallerException::new).next(), "truncated");
        assertThrows(CallerException.class, () -> new Tlv.Reader(new byte[0], CallerException::new).expect(0x80), "missing");
    }

    @Test
    void nestedReaderStaysInsideItsParent() {
        byte[] enc = Tlv.concat(Tlv.of(0x7F49, Tlv.of(0x86, new byte[] {1, 2})), Tlv.of(0x5F20, new byte[] {3}));
        Tlv.Element outer = new Tlv.Reader(enc).next();
        Tlv.Reader inner = new Tlv.Reader(enc, 3, outer.end());
        assertArrayEquals(new byte[] {1, 2}, inner.expect(0x86).value());
        inner.expectEnd();
        // an inner length claiming the sibling's bytes runs past its parent
        byte[] lying = enc.clone();
        lying[4] = 3;
        assertThrows(IllegalArgumentException.class, () -> new Tlv.Reader(lying, 3, outer.end()).next());
    }

    @Test
    void shortFormIsTheVaultsFlatFormat() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Tlv.putShort(out, 0xC1, new byte[] {1, 2, 3});
        Tlv.putShort(out, 0x9F, new byte[0]); // a BER reader would take 9F as the first byte of a two-byte tag
        List<Tlv.Element> items = Tlv.parseShort(out.toByteArray());
        assertEquals(2, items.size());
        assertEquals(0xC1, items.get(0).tag());
        assertArrayEquals(new byte[] {1, 2, 3}, items.get(0).value());
        assertEquals(0x9F, items.get(1).tag());
        assertEquals(5, items.get(1).start());
        assertThrows(IllegalArgumentException.class, () -> Tlv.putShort(new ByteArrayOutputStream(), 0xC1, new byte[0x80]));
    }

    @Test
    void shortFormRefusesLongLengthsTruncationAndOverruns() {
        assertThrows(IllegalArgumentException.class, () -> Tlv.parseShort(new byte[] {(byte) 0xC1, (byte) 0x81, 1, 0}), "long form");
        assertThrows(IllegalArgumentException.class, () -> Tlv.parseShort(new byte[] {(byte) 0xC1, 3, 1, 2}), "runs past the end");
        assertThrows(IllegalArgumentException.class, () -> Tlv.parseShort(new byte[] {(byte) 0xC1, 1, 1, (byte) 0xC2}), "truncated header");
        assertEquals(0, Tlv.parseShort(new byte[0]).size());
    }

    @Test
    void parseAllReadsEveryElementInsideItsBounds() {
        byte[] two = Tlv.concat(Tlv.of(0x80, new byte[] {1}), Tlv.of(0x7F49, new byte[] {2, 3}));
        List<Tlv.Element> all = Tlv.parseAll(two, 0, two.length, CallerException::new);
        assertEquals(2, all.size());
        assertEquals(0x7F49, all.get(1).tag());
        assertEquals(1, Tlv.parseAll(two, 0, 3, CallerException::new).size());
        assertThrows(CallerException.class, () -> Tlv.parseAll(two, 0, 5, CallerException::new), "cut inside the second element");
        assertThrows(CallerException.class, () -> Tlv.parseAll(two, 0, two.length + 1, CallerException::new), "past the data");
        assertThrows(CallerException.class, () -> Tlv.parseAll(two, 4, 3, CallerException::new), "negative range");
    }
}
