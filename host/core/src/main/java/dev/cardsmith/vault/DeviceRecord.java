package dev.cardsmith.vault;

/** One version of a device in the permanent public database. Nothing in it is secret. */
public record DeviceRecord(String chipId, int version, String identity, int packageVersion,
                           byte[] backup, byte[] certificate, String createdAt) {}
