namespace CourseKit.Data;

/// <summary>Splits one CSV record (RFC 4180 quoting: <c>"a, b"</c> and doubled <c>""</c> inside quotes) into fields.
/// Records spanning several lines are not supported; none of the course's CSV files has one.</summary>
internal static class CsvFields
{
    public static List<string> Split(string line, string path, int lineNumber)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        var i = 0;
        while (true)
        {
            field.Clear();
            if (i < line.Length && line[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= line.Length)
                        throw new DataFormatException(path, lineNumber, "unterminated quoted field.");
                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                        i++;
                        break;
                    }
                    field.Append(line[i++]);
                }
                if (i < line.Length && line[i] != ',')
                    throw new DataFormatException(path, lineNumber, $"unexpected character '{line[i]}' after a closing quote at column {i + 1}.");
            }
            else
            {
                while (i < line.Length && line[i] != ',')
                {
                    if (line[i] == '"') throw new DataFormatException(path, lineNumber, $"quote inside an unquoted field at column {i + 1}.");
                    field.Append(line[i++]);
                }
            }
            fields.Add(field.ToString());
            if (i >= line.Length) return fields;
            i++; // the comma
        }
    }
}
