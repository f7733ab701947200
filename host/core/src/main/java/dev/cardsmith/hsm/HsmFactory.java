package dev.cardsmith.hsm;

import java.nio.file.Path;

/**
 * Opens an HSM from a spec string:
 * <ul>
 *   <li>{@code pkcs12:/path/to/keystore.p12} (or a bare path): the software HSM</li>
 *   <li>{@code pkcs11:library=/usr/lib/softhsm/libsofthsm2.so;token=cardsmith} (or {@code slot=N}):
 *       a PKCS#11 token, see {@link Pkcs11Hsm}</li>
 * </ul>
 * The password (keystore password or token user PIN) is passed separately, never in the spec.
 */
public final class HsmFactory {
    private HsmFactory() {}

    public static Hsm open(String spec, char[] password) {
        if (spec.startsWith("pkcs11:")) {
            return Pkcs11Hsm.open(spec, password);
        }
        String path = spec.startsWith("pkcs12:") ? spec.substring("pkcs12:".length()) : spec;
        return SoftwareHsm.open(Path.of(path), password);
    }
}
