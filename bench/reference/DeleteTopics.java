// Deletes the Kafka topics whose names start with a prefix: squall's CLI
// creates topics but does not delete them, and a run leaves ~0.7 KB per event.
// Run as a single-file program with kafka-clients on the class path (the copy
// in bench/reference/setup's Ivy cache): java -cp JARS DeleteTopics.java BOOTSTRAP PREFIX
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;

public class DeleteTopics {
  public static void main(String[] args) throws Exception {
    Properties properties = new Properties();
    properties.put("bootstrap.servers", args[0]);
    try (Admin admin = Admin.create(properties)) {
      List<String> doomed = admin.listTopics().names().get().stream().filter(t -> t.startsWith(args[1])).toList();
      admin.deleteTopics(doomed).all().get();
      System.out.println(String.join(" ", doomed));
    }
  }
}
