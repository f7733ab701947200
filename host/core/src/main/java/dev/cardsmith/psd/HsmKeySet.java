package dev.cardsmith.psd;

import dev.cardsmith.hsm.Hsm;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * One PSD's MK key set of one version - SCP03 K-ENC, K-MAC, K-DEK, each diversified from the MK
 * data block with its own label and the PSD ID ({@link PsdKeys}) - as HSM session keys that live
 * only as long as this object. The SCP03 host keys its CMACs here; the set leaves the HSM only
 * wrapped ({@link #wrapUnder}).
 */
final class HsmKeySet implements AutoCloseable {
    private final Hsm hsm;
    private final List<String> labels = new ArrayList<>();

    HsmKeySet(Hsm hsm, String mkBlockLabel, byte[] psdId) {
        this.hsm = hsm;
        String base = "psd-session-mk-" + HexFormat.of().formatHex(hsm.generateRandom(6));
        try {
            for (byte[] label : PsdKeys.STATIC_KEY_LABELS) {
                String target = base + "-" + labels.size();
                hsm.deriveAesKey(mkBlockLabel, label, psdId, target);
                labels.add(target);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    String enc() { return labels.get(0); }

    String mac() { return labels.get(1); }

    /** SCP03 host state keyed by this set (S-ENC from K-ENC, S-MAC and S-RMAC from K-MAC, CMACs in the HSM). */
    Scp03 scp03() {
        String enc = enc();
        String mac = mac();
        return new Scp03(d -> hsm.aesCmac(enc, d), d -> hsm.aesCmac(mac, d));
    }

    /** K-ENC | K-MAC | K-DEK, each RFC 3394-wrapped under {@code kekLabel} (72 bytes). */
    byte[] wrapUnder(String kekLabel) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String l : labels) out.writeBytes(hsm.wrapKey(kekLabel, l));
        return out.toByteArray();
    }

    @Override
    public void close() {
        for (String l : labels) hsm.delete(l);
        labels.clear();
    }
}
