// The librdkafka shared object built by scripts/build-librdkafka.sh. Imported as a file (an import
// attribute only Bun knows) so that `bun build --compile` embeds it in the executable; dlopen reads it from
// there directly. From source, the path is the file's own.
import path from "../../.cache/librdkafka/2.15.1/lib/librdkafka.so.1" with { type: "file" };

export const embeddedLibrdkafkaPath: string = path;
