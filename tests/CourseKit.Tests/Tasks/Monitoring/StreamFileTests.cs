using CourseKit.Data;
using CourseKit.Tasks.Monitoring;

namespace CourseKit.Tests.Tasks.Monitoring;

public class StreamFileTests : IDisposable
{
    readonly string _dir = TestPaths.NewTempDir("coursekit-stream");
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    string Write(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    [Theory]
    [InlineData("time,source,text\n2024-03-01T09:00:00Z,wire,Profit rose.\nyesterday,wire,Sales fell.\n", 3, "time 'yesterday'")]
    [InlineData("time,source,text\n2024-03-01,wire,Profit rose.\n2024-03-02,wire,\"  \"\n", 3, "empty text")]
    [InlineData("time,source,text\n2024-03-01,wire,Profit rose.\n\n2024-03-02,wire,Sales fell,sharply\n", 4, "expected 3 columns")]
    [InlineData("time,text\n2024-03-01,Profit rose.\n", 1, "header")]
    public void A_malformed_csv_row_fails_naming_file_and_line(string content, int line, string problem)
    {
        var path = Write("stream.csv", content);
        var error = Assert.Throws<DataFormatException>(() => StreamFile.Read(path).ToList());
        Assert.Equal(line, error.Line);
        Assert.StartsWith($"{path}:{line}:", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Theory]
    [InlineData("{\"time\":\"2024-03-01\",\"source\":\"a\",\"text\":\"ok\"}\n{\"time\":\"03/01 noon\",\"source\":\"a\",\"text\":\"x\"}\n", 2, "time")]
    [InlineData("{\"time\":\"2024-03-01\",\"source\":\"a\",\"text\":\"\"}\n", 1, "empty text")]
    [InlineData("{\"time\":\"2024-03-01\",\"source\":\"a\",\"text\":\"ok\"}\n\n[1,2]\n", 3, "JSON object")]
    [InlineData("{\"time\":\"2024-03-01\", \"text\": \"unterminated\n", 1, "not valid JSON")]
    public void A_malformed_jsonl_row_fails_naming_file_and_line(string content, int line, string problem)
    {
        var path = Write("stream.jsonl", content);
        var error = Assert.Throws<DataFormatException>(() => StreamFile.Read(path).ToList());
        Assert.Equal(line, error.Line);
        Assert.StartsWith($"{path}:{line}:", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void Rows_are_read_lazily_with_quoting_and_line_numbers()
    {
        var path = Write("ok.csv", "time,source,text\n2024-03-01T23:30:00+02:00,wire,\"Nokia, the phone maker, said \"\"no\"\"\"\n2024-03-02,feed,Sales fell.\nnot-a-time,x,y\n");
        // The bad third row is not reached when only two rows are taken: the reader is lazy.
        var rows = StreamFile.Read(path).Take(2).ToList();
        Assert.Equal("Nokia, the phone maker, said \"no\"", rows[0].Text);
        Assert.Equal(new DateOnly(2024, 3, 1), rows[0].Day); // 21:30 UTC
        Assert.Equal(3, rows[1].Line);
        Assert.Equal("feed", rows[1].Source);
    }

    [Fact]
    public void Batches_keep_order_and_end_with_the_rest()
    {
        var batches = StreamFile.Batches(Enumerable.Range(0, 10), 4).Select(b => b.ToArray()).ToArray();
        Assert.Equal([4, 4, 2], batches.Select(b => b.Length).ToArray());
        Assert.Equal(Enumerable.Range(0, 10), batches.SelectMany(b => b));
    }

    [Fact]
    public void A_written_stream_reads_back()
    {
        var records = new[] { new StreamRecord(new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero), "s,1", "He said \"up\", twice") };
        var path = Path.Combine(_dir, "back.csv");
        StreamFile.WriteCsv(path, records);
        var back = StreamFile.Read(path).Single();
        Assert.Equal((records[0].Time, records[0].Source, records[0].Text), (back.Time, back.Source, back.Text));
    }
}
