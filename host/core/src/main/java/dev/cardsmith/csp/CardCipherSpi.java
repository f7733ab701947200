package dev.cardsmith.csp;

import dev.cardsmith.transport.CardStatusException;

import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.CipherSpi;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Arrays;
import java.util.Locale;

/**
 * RSA/ECB/PKCS1Padding. Decrypt/unwrap with a card key: the card removes the PKCS#1 v1.5
 * padding and returns only the message. Encrypt/wrap with a public key: the host does it.
 * OAEP is deliberately not offered (docs/csp.md: it would need the card to return raw RSA
 * results, making the decryption key a signing oracle).
 */
final class CardCipherSpi extends CipherSpi {

    private int mode;
    private CardPrivateKey key;
    private Cipher host;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

    @Override
    protected void engineSetMode(String m) throws NoSuchAlgorithmException {
        if (!m.equalsIgnoreCase("ECB") && !m.equalsIgnoreCase("NONE")) throw new NoSuchAlgorithmException("mode " + m);
    }

    @Override
    protected void engineSetPadding(String p) throws NoSuchPaddingException {
        if (!p.toUpperCase(Locale.ROOT).equals("PKCS1PADDING")) {
            throw new NoSuchPaddingException(p + ": the card offers PKCS#1 v1.5 only (OAEP needs raw RSA on the card, see docs/csp.md)");
        }
    }

    @Override
    protected int engineGetBlockSize() { return 0; }

    @Override
    protected int engineGetOutputSize(int inputLen) { return 256; }

    @Override
    protected byte[] engineGetIV() { return null; }

    @Override
    protected AlgorithmParameters engineGetParameters() { return null; }

    @Override
    protected void engineInit(int opmode, Key k, SecureRandom random) throws InvalidKeyException {
        buffer.reset();
        mode = opmode;
        if (opmode == Cipher.DECRYPT_MODE || opmode == Cipher.UNWRAP_MODE) {
            if (!(k instanceof CardPrivateKey.Rsa r)) throw new InvalidKeyException("decrypt needs an RSA card key");
            key = r;
            host = null;
        } else if (opmode == Cipher.ENCRYPT_MODE || opmode == Cipher.WRAP_MODE) {
            if (!(k instanceof RSAPublicKey)) throw new InvalidKeyException("encrypt needs an RSA public key (card keys sign, they do not encrypt)");
            try {
                host = JdkProviders.cipher("RSA/ECB/PKCS1Padding");
                host.init(opmode, k, random);
            } catch (GeneralSecurityException e) {
                throw new InvalidKeyException(e.getMessage(), e);
            }
            key = null;
        } else {
            throw new InvalidKeyException("unsupported mode " + opmode);
        }
    }

    @Override
    protected void engineInit(int opmode, Key k, AlgorithmParameterSpec params, SecureRandom random)
            throws InvalidKeyException, InvalidAlgorithmParameterException {
        if (params != null) throw new InvalidAlgorithmParameterException("PKCS#1 v1.5 takes no parameters");
        engineInit(opmode, k, random);
    }

    @Override
    protected void engineInit(int opmode, Key k, AlgorithmParameters params, SecureRandom random)
            throws InvalidKeyException, InvalidAlgorithmParameterException {
        if (params != null) throw new InvalidAlgorithmParameterException("PKCS#1 v1.5 takes no parameters");
        engineInit(opmode, k, random);
    }

    @Override
    protected byte[] engineUpdate(byte[] in, int off, int len) {
        buffer.write(in, off, len);
        return new byte[0];
    }

    @Override
    protected int engineUpdate(byte[] in, int off, int len, byte[] out, int outOff) {
        buffer.write(in, off, len);
        return 0;
    }

    @Override
    protected byte[] engineDoFinal(byte[] in, int off, int len) throws IllegalBlockSizeException, BadPaddingException {
        if (in != null) buffer.write(in, off, len);
        byte[] data = buffer.toByteArray();
        buffer.reset();
        if (host != null) return host.doFinal(data);
        if (key == null) throw new IllegalStateException("not initialized");
        int k = 256; // RSA-2048
        if (data.length > k) throw new IllegalBlockSizeException("ciphertext longer than the modulus");
        byte[] block = new byte[k];
        System.arraycopy(data, 0, block, k - data.length, data.length); // I2OSP: left-pad
        try {
            return key.card().decryptRsaPkcs1(key.slot(), block);
        } catch (CardStatusException e) {
            throw new IllegalStateException("card refused to decrypt with slot " + key.slot() + ": " + e.getMessage(), e);
        } finally {
            Arrays.fill(block, (byte) 0);
        }
    }

    @Override
    protected int engineDoFinal(byte[] in, int off, int len, byte[] out, int outOff)
            throws ShortBufferException, IllegalBlockSizeException, BadPaddingException {
        byte[] r = engineDoFinal(in, off, len);
        if (out.length - outOff < r.length) throw new ShortBufferException("need " + r.length + " bytes");
        System.arraycopy(r, 0, out, outOff, r.length);
        Arrays.fill(r, (byte) 0);
        return r.length;
    }

    @Override
    protected byte[] engineWrap(Key k) throws IllegalBlockSizeException, InvalidKeyException {
        if (host == null) throw new IllegalStateException("not initialized for wrapping");
        return host.wrap(k);
    }

    @Override
    protected Key engineUnwrap(byte[] wrapped, String algorithm, int type) throws InvalidKeyException, NoSuchAlgorithmException {
        if (type != Cipher.SECRET_KEY) throw new InvalidKeyException("only secret keys are unwrapped");
        try {
            byte[] k = engineDoFinal(wrapped, 0, wrapped.length);
            try {
                return new SecretKeySpec(k, algorithm);
            } finally {
                Arrays.fill(k, (byte) 0);
            }
        } catch (GeneralSecurityException e) {
            throw new InvalidKeyException("unwrap failed", e);
        }
    }

    @Override
    protected int engineGetKeySize(Key k) {
        return 2048;
    }
}
