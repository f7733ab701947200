package dev.cardsmith.ota;

import dev.cardsmith.applet.sim.Constants;

import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The key sets one SIM application holds, by key index (TS 102 225 5.1.2/5.1.3: b5..b8 of KIc and
 * KID name the key, b1..b4 the algorithm). A received packet picks its ciphering key by the KIc
 * octet and its checksum key by the KID octet; both must name a key set present here with the
 * algorithm that set has. All key sets address the same application (one TAR).
 */
public final class OtaKeySets {

    private final Map<Integer, OtaKeys> byIndex;
    private final byte[] tar;

    private OtaKeySets(Map<Integer, OtaKeys> byIndex, byte[] tar) {
        this.byIndex = byIndex;
        this.tar = tar;
    }

    public static OtaKeySets of(OtaKeys... sets) { return of(Arrays.asList(sets)); }

    public static OtaKeySets of(Collection<OtaKeys> sets) {
        if (sets.isEmpty()) throw new IllegalArgumentException("at least one key set");
        Map<Integer, OtaKeys> m = new TreeMap<>();
        byte[] tar = null;
        for (OtaKeys k : sets) {
            if (k.kicIndex() != k.kidIndex()) {
                throw new IllegalArgumentException("a key set holds KIc and KID under one index (" + k + ")");
            }
            if (tar == null) tar = k.tar();
            else if (!Arrays.equals(tar, k.tar())) throw new IllegalArgumentException("key sets of one application share its TAR");
            if (m.put(k.kicIndex(), k) != null) throw new IllegalArgumentException("two key sets with index " + k.kicIndex());
        }
        return new OtaKeySets(Collections.unmodifiableMap(m), tar);
    }

    public byte[] tar() { return tar.clone(); }

    public Collection<OtaKeys> all() { return byIndex.values(); }

    /** The key set that ciphers a packet with this KIc octet; status 06 when none fits. */
    public OtaKeys forKic(int kicOctet) { return lookup(kicOctet, "KIc"); }

    /** The key set that computes the CC of a packet with this KID octet; status 06 when none fits. */
    public OtaKeys forKid(int kidOctet) { return lookup(kidOctet, "KID"); }

    private OtaKeys lookup(int octet, String what) {
        OtaKeys k = byIndex.get((octet >> 4) & 0x0F);
        if (k == null || k.algorithm().code != (octet & 0x0F)) {
            throw new OtaSecurityException(Constants.POR_UNIDENTIFIED_SECURITY_ERROR, "unknown " + what + " (no key set with that index and algorithm)");
        }
        return k;
    }

    /** Never prints key material. */
    @Override
    public String toString() { return "OtaKeySets" + byIndex.values(); }
}
