package dev.cardsmith.transport;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The host's status-word texts cover exactly the applets' table: every constant of the applet
 * layer's {@code dev.cardsmith.applet.platform.Sw} (read by reflection), and the table in
 * docs/conventions.md, "Status words".
 */
class StatusWordsTest {

    /** Sw's status-word constants by name (61xx and 63Cx as 6100 and 63C0). */
    static Map<String, Integer> appletConstants() throws Exception {
        Map<String, Integer> out = new TreeMap<>();
        for (Field f : Class.forName("dev.cardsmith.applet.platform.Sw").getDeclaredFields()) {
            if (f.getType() == short.class && Modifier.isStatic(f.getModifiers()) && Modifier.isPublic(f.getModifiers())) {
                out.put(f.getName(), f.getShort(null) & 0xFFFF);
            }
        }
        return out;
    }

    /** The names of the constants the host has no text for. */
    static List<String> withoutText(Map<String, Integer> constants) {
        List<String> missing = new ArrayList<>();
        constants.forEach((name, sw) -> {
            if (StatusWords.text(sw) == null) missing.add(String.format("%s (%04X)", name, sw));
        });
        return missing;
    }

    @Test
    void everyAppletStatusWordHasAText() throws Exception {
        Map<String, Integer> sw = appletConstants();
        assertTrue(sw.size() >= 20, "Sw read by reflection: " + sw);
        assertEquals(List.of(), withoutText(sw));
    }

    @Test
    void aStatusWordWithoutTextIsFound() throws Exception {
        Map<String, Integer> sw = new TreeMap<>(appletConstants());
        sw.put("INVENTED", 0x6F02);
        assertEquals(List.of("INVENTED (6F02)"), withoutText(sw));
        assertNull(StatusWords.text(0x6F02));
        assertEquals("SW 6F02", StatusWords.describe(0x6F02));
    }

    @Test
    void theCardsmithTableIsExactlyTheAppletsTable() throws Exception {
        assertEquals(new java.util.TreeSet<>(appletConstants().values()), StatusWords.cardsmithTable());
    }

    @Test
    void theDocsTableIsExactlyTheAppletsTable() throws Exception {
        String doc = Files.readString(Path.of("..", "..", "docs", "conventions.md"));
        int start = doc.indexOf("\n## Status words");
        int end = doc.indexOf("\n#", start + 5);
        assertTrue(start >= 0 && end > start, "docs/conventions.md has a \"Status words\" section");
        Map<String, Integer> rows = new TreeMap<>();
        Matcher m = Pattern.compile("(?m)^\\| ([0-9A-F]{2}(?:[0-9A-F]{2}|xx|Cx)) \\| ([A-Z_0-9]+) \\|").matcher(doc.substring(start, end));
        while (m.find()) rows.put(m.group(2), Integer.parseInt(m.group(1).replace("xx", "00").replace("Cx", "C0"), 16));
        assertEquals(appletConstants(), rows);
    }

    @Test
    void textsOfTheSpecialStatusWords() {
        assertEquals("SW 6F01 (unexpected exception on the card: a card bug, not a refusal)", StatusWords.describe(0x6F01));
        assertEquals("SW 6100 (256 or more response bytes available)", StatusWords.describe(0x6100));
        assertEquals("SW 6110 (16 response bytes available)", StatusWords.describe(0x6110));
        assertEquals("SW 63C2 (verification failed, 2 tries left)", StatusWords.describe(0x63C2));
        assertEquals("SW 6F00 (no precise diagnosis)", StatusWords.describe(0x6F00));
        assertFalse(StatusWords.cardsmithTable().contains(0x6F00), "6F00 is never a cardsmith applet's answer");
    }
}
