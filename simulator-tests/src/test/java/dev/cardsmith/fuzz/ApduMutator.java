package dev.cardsmith.fuzz;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * Structure-aware APDU generation for one applet. A case is a short sequence of raw APDUs,
 * fully determined by its seed, built from
 * <ul>
 * <li>the applet's own protocol constants (every {@code CLA_*}, {@code INS_*}, {@code P1_*}
 * byte of its Constants / PsdProtocol class),</li>
 * <li>templates: the commands the host library sent while driving a card of this applet through
 * its flows (chains joined, so a TLV structure is seen whole),</li>
 * </ul>
 * mutated as the issue lists: P1/P2, Lc/Le variants (off by one, zero, 255, missing, extended
 * length), TLV length fields off by one / zero / 7F / 80 / 255 / extended, ISO chaining
 * (CLA | 10) sequences broken in several ways, truncation, byte flips, plus plain random bytes.
 */
final class ApduMutator implements CaseGenerator {


    private final List<Command> templates;
    private final int[] clas;
    private final int[] inses;
    private final int[] p1s;
    private final int[] tickets;

    ApduMutator(Class<?> constants, List<Command> templates) {
        this.templates = templates;
        // long (structured) templates are picked more often; coarse length classes, so a seed picks
        // the same template in every run (ciphertexts and signatures vary in content and by a byte or two)
        this.tickets = new int[templates.size()];
        int sum = 0;
        for (int i = 0; i < templates.size(); i++) {
            int n = templates.get(i).data().length;
            sum += n == 0 ? 1 : n <= 64 ? 4 : 12;
            tickets[i] = sum;
        }
        this.clas = bytes(constants, "CLA_");
        this.inses = bytes(constants, "INS_");
        this.p1s = bytes(constants, "P1_");
    }

    @Override
    public Case generate(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<byte[]> out = new ArrayList<>();
        StringBuilder how = new StringBuilder();
        int kind = r.nextInt(100);
        if (kind < 50 && !templates.isEmpty()) {
            // optionally a valid command first (moves the session on: VERIFY, INITIATE ...)
            if (r.nextInt(4) == 0) {
                Command pre = pick(r);
                out.add(pre.encode());
                how.append("valid ").append(name(pre)).append(" then ");
            }
            Command t = pick(r);
            how.append("template ").append(name(t));
            Command m = mutateLogical(r, t, how);
            out.addAll(frame(r, m, how));
        } else if (kind < 62 && !templates.isEmpty()) {
            Command t = pick(r);
            how.append("chain of ").append(name(t));
            out.addAll(brokenChain(r, t, how));
        } else if (kind < 88) {
            Command c = fromConstants(r);
            how.append("constants ").append(name(c));
            out.addAll(frame(r, c, how));
        } else {
            byte[] raw = new byte[r.nextInt(r.nextBoolean() ? 8 : 300)];
            r.nextBytes(raw);
            if (raw.length > 1 && r.nextBoolean()) raw[1] = (byte) inses[r.nextInt(inses.length)];
            how.append("random ").append(raw.length).append(" bytes");
            out.add(raw);
        }
        return new Case(seed, out, how.toString());
    }

    private Command pick(SplittableRandom r) {
        int t = r.nextInt(tickets[tickets.length - 1]);
        int i = 0;
        while (tickets[i] <= t) i++;
        return templates.get(i);
    }

    private static String name(Command c) {
        return String.format("%02X%02X", c.cla(), c.ins());
    }

    private Command fromConstants(SplittableRandom r) {
        int cla = clas.length == 0 || r.nextInt(10) == 0 ? r.nextInt(256) : clas[r.nextInt(clas.length)];
        int ins = inses[r.nextInt(inses.length)];
        int p1 = interestingByte(r, p1s);
        int p2 = interestingByte(r, p1s);
        byte[] data = new byte[switch (r.nextInt(6)) {
            case 0 -> 0;
            case 1 -> r.nextInt(1, 8);
            case 2 -> r.nextInt(8, 80);
            case 3 -> 255;
            case 4 -> r.nextInt(256, 700);
            default -> r.nextInt(1, 256);
        }];
        r.nextBytes(data);
        if (data.length > 2 && r.nextBoolean()) {
            // TLV-looking data: a tag, a length that may lie
            data[0] = (byte) (r.nextBoolean() ? 0x80 + r.nextInt(0x10) : 0x5F + (r.nextInt(2) << 5));
            data[1] = (byte) interestingLength(r, data.length - 2);
        }
        int le = r.nextInt(3) == 0 ? (r.nextBoolean() ? 256 : r.nextInt(1, 256)) : -1;
        return new Command(cla, ins, p1, p2, data, le);
    }

    private static int interestingByte(SplittableRandom r, int[] known) {
        return switch (r.nextInt(6)) {
            case 0, 1 -> 0;
            case 2 -> known.length > 0 ? known[r.nextInt(known.length)] : 1;
            case 3 -> r.nextInt(1, 8);
            case 4 -> new int[] {0x7F, 0x80, 0x81, 0xFF}[r.nextInt(4)];
            default -> r.nextInt(256);
        };
    }

    private static int interestingLength(SplittableRandom r, int actual) {
        return switch (r.nextInt(7)) {
            case 0 -> actual + 1;
            case 1 -> Math.max(0, actual - 1);
            case 2 -> 0;
            case 3 -> 255;
            case 4 -> 0x7F;
            case 5 -> 0x80;
            default -> actual;
        };
    }

    /** Mutations of what the command says (header, data, TLV lengths). */
    private Command mutateLogical(SplittableRandom r, Command c, StringBuilder how) {
        int n = r.nextInt(10) < 7 ? 1 : 2;
        for (int i = 0; i < n; i++) {
            byte[] d = c.data();
            switch (r.nextInt(9)) {
                case 0 -> {
                    c = c.withHeader(c.cla(), c.ins(), mutateByte(r, c.p1()), c.p2());
                    how.append(String.format(" P1=%02X", c.p1()));
                }
                case 1 -> {
                    c = c.withHeader(c.cla(), c.ins(), c.p1(), mutateByte(r, c.p2()));
                    how.append(String.format(" P2=%02X", c.p2()));
                }
                case 2, 3, 4 -> {
                    List<Tlv.Element> els = Tlv.parse(d);
                    if (els.isEmpty()) break;
                    int idx = r.nextBoolean() ? els.size() - 1 : r.nextInt(els.size());
                    Tlv.Element e = els.get(idx);
                    int to = switch (r.nextInt(8)) {
                        case 0, 1 -> e.length() + 1;
                        case 2, 3 -> Math.max(0, e.length() - 1);
                        case 4 -> 0;
                        case 5 -> 255;
                        case 6 -> 0x80;
                        default -> e.length() + 256;
                    };
                    c = c.withData(Tlv.withLength(d, e, to));
                    how.append(" tlv#").append(idx).append(" len ").append(e.length()).append("->").append(to);
                }
                case 5 -> {
                    if (d.length == 0) break;
                    byte[] m = d.clone();
                    int k = 1 + r.nextInt(3);
                    for (int j = 0; j < k; j++) m[r.nextInt(m.length)] ^= (byte) (1 << r.nextInt(8));
                    c = c.withData(m);
                    how.append(" flip").append(k);
                }
                case 8 -> {
                    List<Tlv.Element> els = Tlv.parse(d);
                    if (els.isEmpty()) break;
                    Tlv.Element e = els.get(r.nextInt(els.size()));
                    byte[] m = d.clone();
                    m[e.tagOff()] = (byte) (r.nextBoolean() ? m[e.tagOff()] ^ (1 << r.nextInt(8)) : r.nextInt(256));
                    c = c.withData(m);
                    how.append(String.format(" tag@%d=%02X", e.tagOff(), m[e.tagOff()]));
                }
                case 6 -> {
                    int cut = d.length == 0 ? 0 : r.nextInt(d.length);
                    c = c.withData(Arrays.copyOf(d, cut));
                    how.append(" data[0..").append(cut).append(")");
                }
                default -> {
                    byte[] m = Arrays.copyOf(d, d.length + 1 + r.nextInt(r.nextBoolean() ? 4 : 300));
                    for (int j = d.length; j < m.length; j++) m[j] = (byte) r.nextInt(256);
                    c = c.withData(m);
                    how.append(" data+").append(m.length - d.length);
                }
            }
        }
        return c;
    }

    private static int mutateByte(SplittableRandom r, int b) {
        return switch (r.nextInt(5)) {
            case 0 -> b ^ (1 << r.nextInt(8));
            case 1 -> (b + (r.nextBoolean() ? 1 : -1)) & 0xFF;
            case 2 -> 0;
            case 3 -> 0xFF;
            default -> r.nextInt(256);
        };
    }

    /** How the command is framed: well formed, or with a lying Lc/Le, extended, chained, truncated. */
    static List<byte[]> frame(SplittableRandom r, Command c, StringBuilder how) {
        byte[] a = c.encode();
        switch (r.nextInt(10)) {
            case 0 -> {
                if (a.length > 4 && c.data().length > 0 && c.data().length <= 255) {
                    int lc = (c.data().length + (r.nextBoolean() ? 1 : -1)) & 0xFF;
                    a[4] = (byte) lc;
                    how.append(" Lc=").append(lc);
                }
            }
            case 1 -> {
                if (a.length > 4) { a[4] = (byte) (r.nextBoolean() ? 0 : 255); how.append(String.format(" Lc=%02X", a[4])); }
            }
            case 2 -> {
                a = c.extended();
                how.append(" extended");
            }
            case 3 -> {
                int cut = r.nextInt(Math.max(1, a.length));
                a = Arrays.copyOf(a, cut);
                how.append(" truncated@").append(cut);
            }
            case 4 -> {
                a = c.withLe(r.nextBoolean() ? 256 : r.nextInt(0, 300)).encode();
                how.append(" Le");
            }
            case 5 -> {
                if (c.data().length > 1) {
                    List<byte[]> parts = c.chained(1 + r.nextInt(Math.min(255, c.data().length)));
                    how.append(" chained x").append(parts.size());
                    return parts;
                }
            }
            default -> { }
        }
        return List.of(a);
    }

    /** Chains that break ISO 7816-4 5.1.1.1: last part missing or chained too, INS/P1P2 changed mid-chain, overlong. */
    private List<byte[]> brokenChain(SplittableRandom r, Command c, StringBuilder how) {
        byte[] d = c.data().length > 0 ? c.data() : new byte[] {0x30, 0x00};
        if (r.nextInt(3) == 0) {
            d = Arrays.copyOf(d, d.length + r.nextInt(1, 2100));
            how.append(" overlong ").append(d.length);
        }
        Command base = c.withData(d);
        List<byte[]> parts = new ArrayList<>(base.chained(1 + r.nextInt(Math.min(255, d.length))));
        switch (r.nextInt(6)) {
            case 0 -> { if (parts.size() > 1) { parts.remove(parts.size() - 1); how.append(" last part missing"); } }
            case 1 -> { byte[] l = parts.get(parts.size() - 1); l[0] |= Command.CHAINING; how.append(" last part chained"); }
            case 2 -> {
                byte[] m = parts.get(r.nextInt(parts.size()));
                m[1] = (byte) inses[r.nextInt(inses.length)];
                how.append(String.format(" INS %02X mid-chain", m[1]));
            }
            case 3 -> {
                byte[] m = parts.get(r.nextInt(parts.size()));
                m[2 + r.nextInt(2)] ^= (byte) (1 + r.nextInt(255));
                how.append(" P1P2 changed mid-chain");
            }
            default -> how.append(" well formed x").append(parts.size());
        }
        return parts;
    }

    private static int[] bytes(Class<?> constants, String prefix) {
        TreeSet<Integer> s = new TreeSet<>();
        for (Field f : constants.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getName().startsWith(prefix) && f.getType() == byte.class) {
                try {
                    s.add(f.getByte(null) & 0xFF);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        if (prefix.equals("INS_")) s.removeIf(i -> i == 0xA4 || i == 0x70); // SELECT / MANAGE CHANNEL: the JCRE's
        return s.stream().mapToInt(Integer::intValue).toArray();
    }
}
