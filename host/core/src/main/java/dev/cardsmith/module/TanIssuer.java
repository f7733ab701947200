package dev.cardsmith.module;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * The perso unit issues one-time transaction numbers for a module (claims 13, 17): 8 random
 * decimal digits each, returned once in clear for the letter to the user and stored hashed.
 */
public final class TanIssuer {

    public static final int DIGITS = 8;
    private static final SecureRandom RANDOM = new SecureRandom();
    private final ModuleStore store;

    public TanIssuer(ModuleStore store) {
        this.store = store;
    }

    public List<String> issue(String moduleId, int count) {
        if (count < 1 || count > 100) throw new ModuleException("TAN count must be 1-100");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            StringBuilder b = new StringBuilder();
            for (int d = 0; d < DIGITS; d++) b.append((char) ('0' + RANDOM.nextInt(10)));
            store.addTan(moduleId, b.toString());
            out.add(b.toString());
        }
        return out;
    }
}
