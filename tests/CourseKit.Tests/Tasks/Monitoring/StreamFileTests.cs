using CourseKit.Data;
using CourseKit.Tasks.Monitoring;

namespace CourseKit.Tests.Tasks.Monitoring;

[KeepTensorsAlive]
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

    [Theory]
    [InlineData("2024-03-01", "2024-03-01T00:00:00Z")]
    [InlineData("2024-03-01T09:30", "2024-03-01T09:30:00Z")]
    [InlineData("2024-03-01 09:30:15", "2024-03-01T09:30:15Z")]
    [InlineData("2024-03-01T09:30:15.250Z", "2024-03-01T09:30:15.25Z")]
    [InlineData("2024-03-01T09:30:00+02:00", "2024-03-01T07:30:00Z")]
    [InlineData("2024-03-01T09:30:00.0000000+00:00", "2024-03-01T09:30:00Z")]     // DateTimeOffset's "O"
    public void Iso_8601_times_are_read_as_utc(string text, string utc)
    {
        Assert.True(StreamFile.TryParseTime(text, out var time), text);
        Assert.Equal(DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture), time);
        Assert.Equal(TimeSpan.Zero, time.Offset);
    }

    [Theory]
    [InlineData("03/01/2024")]            // 1 March or 3 January: not guessed
    [InlineData("12/03/2024 09:30")]
    [InlineData("10:30:00 AM")]           // no date: would land on today
    [InlineData("2024-3-1")]
    [InlineData("1 March 2024")]
    [InlineData("2024-03-01T25:00")]
    public void Times_that_are_not_iso_8601_are_refused(string text) => Assert.False(StreamFile.TryParseTime(text, out _), text);

    [Fact]
    public void Whitespace_only_lines_are_skipped_like_blank_ones()
    {
        var path = Write("gaps.csv", "time,source,text\n2024-03-01,wire,Profit rose.\n   \n\t\n2024-03-02,wire,Sales fell.\n");
        Assert.Equal([2, 5], StreamFile.Read(path).Select(r => r.Line).ToArray());
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
        var records = new[]
        {
            new StreamRecord(new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero), "s,1", "He said \"up\", twice"),
            new StreamRecord(new DateTimeOffset(2024, 1, 3, 0, 0, 0, TimeSpan.Zero), "wire", "Profit fell.\nShares down\r\nagain"),
        };
        var path = Path.Combine(_dir, "back.csv");
        StreamFile.WriteCsv(path, records);
        var back = StreamFile.Read(path).ToArray();
        Assert.Equal(2, back.Length);
        Assert.Equal((records[0].Time, records[0].Source, records[0].Text), (back[0].Time, back[0].Source, back[0].Text));
        Assert.Equal("Profit fell. Shares down again", back[1].Text);     // a field cannot span lines: breaks become spaces
    }
}
