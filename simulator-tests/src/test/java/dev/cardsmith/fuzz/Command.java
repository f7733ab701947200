package dev.cardsmith.fuzz;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One logical command (a chain reassembled, an extended APDU decoded): what the host library
 * meant to send, independent of how it was framed. {@code le} is -1 when absent.
 */
record Command(int cla, int ins, int p1, int p2, byte[] data, int le) {

    static final int CHAINING = 0x10;

    Command withData(byte[] d) { return new Command(cla, ins, p1, p2, d, le); }

    Command withHeader(int cla, int ins, int p1, int p2) { return new Command(cla & 0xFF, ins & 0xFF, p1 & 0xFF, p2 & 0xFF, data, le); }

    Command withLe(int le) { return new Command(cla, ins, p1, p2, data, le); }

    /** Short APDU when it fits, extended otherwise (ISO 7816-3 12.1.3). */
    byte[] encode() {
        return data.length > 255 || le > 256 ? extended() : shortForm();
    }

    byte[] shortForm() {
        ByteArrayOutputStream o = header(cla);
        if (data.length > 0) {
            o.write(data.length & 0xFF);
            o.writeBytes(data);
        }
        if (le >= 0) o.write(le & 0xFF);
        return o.toByteArray();
    }

    byte[] extended() {
        ByteArrayOutputStream o = header(cla);
        o.write(0);
        if (data.length > 0) {
            o.write(data.length >> 8);
            o.write(data.length);
            o.writeBytes(data);
        }
        if (le >= 0) {
            if (data.length == 0) o.write(0);
            o.write(le >> 8);
            o.write(le);
        }
        return o.toByteArray();
    }

    /** ISO 7816-4 5.1.1.1 command chaining: CLA b5 on every part but the last. */
    List<byte[]> chained(int chunk) {
        List<byte[]> out = new ArrayList<>();
        int off = 0;
        do {
            int n = Math.min(chunk, data.length - off);
            boolean last = off + n >= data.length;
            Command part = new Command(last ? cla : cla | CHAINING, ins, p1, p2, Arrays.copyOfRange(data, off, off + n), last ? le : -1);
            out.add(part.shortForm());
            off += n;
        } while (off < data.length);
        return out;
    }

    private ByteArrayOutputStream header(int c) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(c);
        o.write(ins);
        o.write(p1);
        o.write(p2);
        return o;
    }

    /** Decodes one APDU (short or extended, ISO 7816-3 12.1); null when it is not well formed. */
    static Command decode(byte[] a) {
        if (a.length < 4) return null;
        int cla = a[0] & 0xFF, ins = a[1] & 0xFF, p1 = a[2] & 0xFF, p2 = a[3] & 0xFF;
        int n = a.length - 4;
        if (n == 0) return new Command(cla, ins, p1, p2, new byte[0], -1);
        int b = a[4] & 0xFF;
        if (n == 1) return new Command(cla, ins, p1, p2, new byte[0], b == 0 ? 256 : b);
        if (b != 0) {
            if (n == 1 + b) return new Command(cla, ins, p1, p2, Arrays.copyOfRange(a, 5, 5 + b), -1);
            if (n == 2 + b) return new Command(cla, ins, p1, p2, Arrays.copyOfRange(a, 5, 5 + b), a[5 + b] == 0 ? 256 : a[5 + b] & 0xFF);
            return null;
        }
        if (n < 3) return null; // an extended length field cut short
        if (n == 3) return new Command(cla, ins, p1, p2, new byte[0], ((a[5] & 0xFF) << 8) | (a[6] & 0xFF));
        int lc = ((a[5] & 0xFF) << 8) | (a[6] & 0xFF);
        if (n == 3 + lc) return new Command(cla, ins, p1, p2, Arrays.copyOfRange(a, 7, 7 + lc), -1);
        if (n == 5 + lc) return new Command(cla, ins, p1, p2, Arrays.copyOfRange(a, 7, 7 + lc), ((a[7 + lc] & 0xFF) << 8) | (a[8 + lc] & 0xFF));
        return null;
    }

    /** The logical commands of a recorded APDU stream: chains joined, GET RESPONSE kept as it is. */
    static List<Command> logical(List<byte[]> apdus) {
        List<Command> out = new ArrayList<>();
        ByteArrayOutputStream chain = null;
        for (byte[] raw : apdus) {
            Command c = decode(raw);
            if (c == null) continue;
            boolean more = (c.cla & CHAINING) != 0;
            if (more) {
                if (chain == null) chain = new ByteArrayOutputStream();
                chain.writeBytes(c.data);
                continue;
            }
            if (chain != null) {
                chain.writeBytes(c.data);
                c = c.withData(chain.toByteArray());
                chain = null;
            }
            out.add(c);
        }
        return out;
    }
}
