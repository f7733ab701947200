package dev.cardsmith.ota.terminal;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cardsmith.crypto.Hex;

import javax.crypto.Cipher;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The handset's key store: terminal characteristics and generation numbers in clear, every key
 * (initialization key, EC private key, trust keys per generation) encrypted with AES-256-GCM under
 * PBKDF2-HMAC-SHA256(password). One JSON file, replaced atomically on save.
 */
public final class TerminalKeyStore {

    private static final int ITERATIONS = 20_000;
    private static final SecureRandom RNG = new SecureRandom();

    private final Path file;
    private final char[] password;
    private final Map<String, String> attrs = new TreeMap<>();
    private final Map<String, byte[]> secrets = new TreeMap<>();

    private TerminalKeyStore(Path file, char[] password) {
        this.file = file;
        this.password = password.clone();
    }

    public static TerminalKeyStore open(Path file, char[] password) {
        TerminalKeyStore ks = new TerminalKeyStore(file, password);
        if (Files.exists(file)) ks.load();
        return ks;
    }

    public boolean exists() { return Files.exists(file); }

    public Path file() { return file; }

    public String attr(String k) { return attrs.get(k); }

    public int intAttr(String k, int dflt) {
        String v = attrs.get(k);
        return v == null ? dflt : Integer.parseInt(v);
    }

    public void attr(String k, Object v) {
        if (v == null) attrs.remove(k);
        else attrs.put(k, String.valueOf(v));
    }

    public byte[] secret(String k) {
        byte[] v = secrets.get(k);
        return v == null ? null : v.clone();
    }

    public void secret(String k, byte[] v) {
        if (v == null) {
            byte[] old = secrets.remove(k);
            if (old != null) Arrays.fill(old, (byte) 0);
        } else {
            secrets.put(k, v.clone());
        }
    }

    public Map<String, String> attrs() { return Map.copyOf(attrs); }

    private void load() {
        try {
            Map<String, Object> root = new ObjectMapper().readValue(file.toFile(), new TypeReference<Map<String, Object>>() {});
            @SuppressWarnings("unchecked")
            Map<String, String> a = (Map<String, String>) root.get("attributes");
            attrs.putAll(a);
            byte[] salt = Hex.parse((String) root.get("salt"));
            byte[] blob = Hex.parse((String) root.get("secrets"));
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, kek(salt), new GCMParameterSpec(128, blob, 0, 12));
            byte[] plain = c.doFinal(blob, 12, blob.length - 12);
            Map<String, String> s = new ObjectMapper().readValue(plain, new TypeReference<Map<String, String>>() {});
            Arrays.fill(plain, (byte) 0);
            for (Map.Entry<String, String> e : s.entrySet()) secrets.put(e.getKey(), Hex.parse(e.getValue()));
        } catch (javax.crypto.AEADBadTagException e) {
            throw new IllegalArgumentException("terminal key store " + file + ": wrong password or corrupted file");
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read terminal key store " + file + ": " + e.getMessage());
        }
    }

    public void save() {
        try {
            Map<String, String> s = new LinkedHashMap<>();
            for (Map.Entry<String, byte[]> e : secrets.entrySet()) s.put(e.getKey(), Hex.of(e.getValue()));
            byte[] plain = new ObjectMapper().writeValueAsBytes(s);
            byte[] salt = new byte[16];
            byte[] iv = new byte[12];
            RNG.nextBytes(salt);
            RNG.nextBytes(iv);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, kek(salt), new GCMParameterSpec(128, iv));
            byte[] ct = c.doFinal(plain);
            Arrays.fill(plain, (byte) 0);
            Map<String, Object> root = new LinkedHashMap<>();
            root.put("format", "cardsmith-terminal-keystore-1");
            root.put("attributes", new TreeMap<>(attrs));
            root.put("salt", Hex.of(salt));
            root.put("secrets", Hex.of(concat(iv, ct)));
            dev.cardsmith.store.PrivateFiles.writeAtomically(file, new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(root)); // 0600: keys
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot write terminal key store " + file + ": " + e.getMessage());
        }
    }

    private SecretKeySpec kek(byte[] salt) throws GeneralSecurityException {
        SecretKeyFactory f = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256");
        byte[] k = f.generateSecret(new PBEKeySpec(password, salt, ITERATIONS, 256)).getEncoded();
        SecretKeySpec spec = new SecretKeySpec(k, "AES");
        Arrays.fill(k, (byte) 0);
        return spec;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] o = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, o, a.length, b.length);
        return o;
    }

    static byte[] ascii(String s) { return s.getBytes(StandardCharsets.US_ASCII); }
}
