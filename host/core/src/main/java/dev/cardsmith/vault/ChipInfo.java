package dev.cardsmith.vault;

import dev.cardsmith.codec.Tlv;
import dev.cardsmith.applet.vault.Constants;
import dev.cardsmith.crypto.Hex;

import java.nio.charset.StandardCharsets;

/** What the vault answers to SELECT and GET DATA 00C0 (the agreement key is null from an applet older than issue 13). */
public record ChipInfo(byte[] chipId, int state, int packageVersion, byte[] manufacturerKey, byte[] identity,
                       byte[] agreementKey) {

    public static ChipInfo parse(byte[] data) {
        byte[] chip = null;
        byte[] mk = null;
        byte[] id = null;
        byte[] agreement = null;
        int state = -1;
        int version = -1;
        for (Tlv.Element i : Tlv.parseShort(data)) {
            switch ((byte) i.tag()) {
                case Constants.TAG_CHIP_ID -> chip = i.value();
                case Constants.TAG_STATE -> state = i.value()[0] & 0xFF;
                case Constants.TAG_PACKAGE_VERSION -> version = ((i.value()[0] & 0xFF) << 8) | (i.value()[1] & 0xFF);
                case Constants.TAG_MANUFACTURER_KEY -> mk = i.value().length == 0 ? null : i.value();
                case Constants.TAG_IDENTITY -> id = i.value();
                case Constants.TAG_AGREEMENT_KEY -> agreement = i.value();
                default -> throw new IllegalArgumentException("unexpected tag in chip info");
            }
        }
        if (chip == null || chip.length != Constants.CHIP_ID_LENGTH || state < 0 || version < 0) {
            throw new IllegalArgumentException("incomplete chip info");
        }
        return new ChipInfo(chip, state, version, mk, id, agreement);
    }

    public String chipIdHex() { return Hex.of(chipId); }

    public String identityText() { return identity == null ? null : new String(identity, StandardCharsets.US_ASCII); }

    public String stateName() {
        return switch (state) {
            case Constants.STATE_NEW -> "NEW";
            case Constants.STATE_EMPTY -> "EMPTY";
            case Constants.STATE_PACKAGED -> "PACKAGED";
            case Constants.STATE_PROVISIONED -> "PROVISIONED";
            default -> "UNKNOWN(" + state + ")";
        };
    }
}
