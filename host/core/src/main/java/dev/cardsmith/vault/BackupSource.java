package dev.cardsmith.vault;

import java.util.Optional;

/** Where recovery (claim 17) finds a chip's backup: the public database over JDBC or HTTP. */
public interface BackupSource {

    /** The newest version for the chip (upper-case hex chip ID), if any. */
    Optional<DeviceRecord> latest(String chipIdHex);

    /** For messages: where the source is, without credentials. */
    String describe();
}
