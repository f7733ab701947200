package dev.cardsmith.ota;

/**
 * The OTA server's CC and ciphering for the fuzzer (dev.cardsmith.fuzz), which builds secured
 * packets field by field so a mutated header or padding counter still carries a valid CC.
 */
public final class OtaFuzzAccess {
    private OtaFuzzAccess() {}

    public static byte[] cc(OtaKeys keys, byte[] data) { return OtaCrypto.cc(keys, data); }

    public static byte[] encrypt(OtaKeys keys, byte[] data) { return OtaCrypto.encrypt(keys, data); }

    public static byte[] scts() { return OtaServer.scts(java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC)); }
}
