package dev.cardsmith.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Statement;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Flyway runs only when the schema is behind: the shortcut must see every migration file and every failed one. */
class MigrationIndexTest {

    @Test
    void indexListsEveryMigrationFile() throws Exception {
        Set<String> files;
        try (Stream<Path> s = Files.list(Path.of("src/main/resources/db/migration"))) {
            files = s.map(p -> p.getFileName().toString()).filter(n -> n.matches("V\\d+__.*\\.sql"))
                    .map(n -> n.substring(1, n.indexOf("__"))).collect(Collectors.toSet());
        }
        assertFalse(files.isEmpty());
        assertEquals(files, MigrationIndex.versions());
    }

    @Test
    void theBuildWritesTheIndexOfBothSchemas() throws Exception {
        for (String dir : new String[] {"db/migration", "db/public"}) {
            Set<String> files;
            try (Stream<Path> s = Files.list(Path.of("src/main/resources/" + dir))) {
                files = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".sql")).collect(Collectors.toSet());
            }
            try (java.io.InputStream in = MigrationIndex.class.getClassLoader().getResourceAsStream(dir + "/index.lst")) {
                assertNotNull(in, dir + "/index.lst is missing: the start-up shortcut would list the whole jar");
                Set<String> listed = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).lines()
                        .filter(l -> !l.isBlank()).collect(Collectors.toSet());
                assertEquals(files, listed, dir);
            }
        }
    }

    @Test
    void aDatabaseWithAFailedMigrationGoesToFlyway(@TempDir Path dir) {
        String url = "jdbc:sqlite:" + dir.resolve("t.db");
        Database db = Database.open(url);
        Database.open(url); // up to date: the shortcut
        db.inTransaction(c -> {
            try (Statement s = c.createStatement()) {
                return s.executeUpdate("UPDATE flyway_schema_history SET success = 0 WHERE installed_rank = (SELECT MAX(installed_rank) FROM flyway_schema_history)");
            }
        });
        StoreException e = assertThrows(StoreException.class, () -> Database.open(url), "Flyway must see the failed migration");
        assertTrue(e.getMessage().startsWith("cannot migrate database"), e.getMessage());
    }
}
