using CourseKit.Data;
using CourseKit.Models;
using CourseKit.Text;
using CourseKit.Tasks.TokenClassification;
using TorchSharp;

namespace CourseKit.Tests.Tasks.TokenClassification;

[Collection(Models.TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public class TokenClassificationTaskTests(NerFixture ner) : IClassFixture<NerFixture>
{
    static readonly string[][] Words = [["Pyongyang", "rejects", "Kalashnikov", "shipments"], ["EU", "rejects", "German", "call", "."]];
    static readonly string[][] Tags = [["B-LOC", "O", "B-MISC", "O"], ["B-ORG", "O", "B-MISC", "O", "O"]];

    static BertTextTokenizer Tokenizer => BertTextTokenizer.Cased(NerFixture.VocabPath);

    /// <summary>The expected label of each token, from the token strings alone: specials and padding -100, a "##"
    /// piece continues the previous word (-100, or its inside label), any other piece starts the next word.</summary>
    static long[] ExpectedLabels(IReadOnlyList<string> tokens, string[] tags, bool allSubwords)
    {
        var labels = new long[tokens.Count];
        int word = -1;
        for (int t = 0; t < tokens.Count; t++)
        {
            var token = tokens[t];
            if (token is "[CLS]" or "[SEP]" or "[PAD]") labels[t] = -100;
            else if (token.StartsWith("##", StringComparison.Ordinal))
                labels[t] = allSubwords ? NerLabels.Id(tags[word].Replace("B-", "I-")) : -100;
            else labels[t] = NerLabels.Id(tags[++word]);
        }
        Assert.Equal(tags.Length - 1, word);
        return labels;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Batches_are_padded_to_the_longest_window_and_label_first_pieces_only(bool allSubwords)
    {
        var tokenizer = Tokenizer;
        var options = new TokenClassificationOptions { Labeling = allSubwords ? SubwordLabeling.AllSubwords : SubwordLabeling.FirstSubword };
        var data = TokenClassificationData.Create(tokenizer, Words, Tags, NerLabels.All, options);
        Assert.Equal(2, data.Windows.Count);
        // The example needs a word split into pieces, else the test proves nothing about continuation pieces.
        Assert.Contains(data.Windows[0].Encoding.Tokens, t => t.StartsWith("##", StringComparison.Ordinal));

        using var batch = TokenClassificationBatch.Collate(data.Windows, tokenizer);
        int longest = data.Windows.Max(w => w.Length);
        Assert.NotEqual(data.Windows[0].Length, data.Windows[1].Length);
        foreach (var t in new[] { batch.Inputs.InputIds, batch.Inputs.AttentionMask, batch.Inputs.TokenTypeIds, batch.Labels! })
            Assert.Equal(new long[] { 2, longest }, t.shape);

        for (int k = 0; k < 2; k++)
        {
            var tokens = data.Windows[k].Encoding.Tokens.Concat(Enumerable.Repeat("[PAD]", longest - data.Windows[k].Length)).ToArray();
            Assert.Equal(ExpectedLabels(tokens, Tags[k], allSubwords), batch.Labels![k].data<long>().ToArray());
            var mask = batch.Inputs.AttentionMask[k].data<long>().ToArray();
            Assert.Equal(tokens.Select(t => t == "[PAD]" ? 0L : 1L), mask);
            Assert.Equal(tokens.Select(t => (long)tokenizer.TokenToId(t)!.Value), batch.Inputs.InputIds[k].data<long>().ToArray());
        }
    }

    [Fact]
    public void Real_conll_windows_label_every_word_once_on_its_first_piece()
    {
        var sentences = ner.Split("valid").Take(300).ToArray();
        var data = TokenClassificationData.FromConll(ner.Tokenizer, sentences, new TokenClassificationOptions { MaxLength = 32, Stride = 8 });
        Assert.True(data.Windows.Count > sentences.Length, "MaxLength 32 should split some sentences into several windows");
        for (int s = 0; s < sentences.Length; s++)
        {
            // Each window labels each of its words exactly once (words BERT drops entirely have no token to label),
            // with the word's gold tag.
            foreach (var window in data.Windows.Where(w => w.SentenceIndex == s))
            {
                var labelled = window.Labels!.Select((l, t) => (l, t)).Where(x => x.l != -100).ToArray();
                Assert.Equal(window.SentenceWordIds.OfType<int>().Distinct().Count(), labelled.Length);
                Assert.InRange(labelled.Length, window.WordCount - 2, window.WordCount);
                Assert.All(labelled, x => Assert.Equal(sentences[s].TagIds[window.SentenceWordIds[x.t]!.Value], x.l));
            }
        }
    }

    [Fact]
    public void Task_has_windows_as_examples_a_finite_loss_and_entity_metrics()
    {
        var tokenizer = ner.Tokenizer;
        var train = TokenClassificationData.FromConll(tokenizer, ner.Split("train").Take(24).ToArray());
        var valid = TokenClassificationData.FromConll(tokenizer, ner.Split("valid").Take(10).ToArray());
        torch.manual_seed(1);
        using var model = NerReproduction.LoadModel(ner.ModelDir);
        var task = TokenClassificationTask.Create(model, tokenizer, train, valid, new TokenClassificationOptions { BatchSize = 8 });
        Assert.Equal(24, task.TrainSet.Count);
        Assert.Equal(8, task.BatchSize);
        using (var scope = torch.NewDisposeScope())
        {
            var loss = task.Loss(task.TrainSet.Take(8).ToArray());
            Assert.Empty(loss.shape);
            // An untrained 9-way classifier starts near the uniform loss ln 9 = 2.197.
            Assert.InRange(loss.item<float>(), 1.5, 3.0);
        }
        var metrics = task.Evaluate!();
        foreach (var key in new[] { TokenClassificationTask.EntityF1, TokenClassificationTask.EntityPrecision, TokenClassificationTask.EntityRecall, TokenClassificationTask.TokenAccuracy, TokenClassificationTask.Loss })
            Assert.InRange(metrics[key], 0, 10);
        Assert.True(model.training, "evaluation restores train mode");
    }

    [Fact]
    public void Argmax_decoding_reads_the_logits_argmax_and_constrained_decoding_gives_valid_iob2()
    {
        var tokenizer = ner.Tokenizer;
        var data = TokenClassificationData.FromConll(tokenizer, ner.Split("valid").Take(40).ToArray());
        torch.manual_seed(3);
        using var model = NerReproduction.LoadModel(ner.ModelDir);

        // Reference: one padded batch of every window through the model; each word reads the row of its first piece.
        // The predictor batches by length (other padding, other kernel shapes), so its numbers match to float
        // rounding, not bit for bit: a near tie may go either way, a real difference may not.
        float[][][] reference;
        using (var scope = torch.NewDisposeScope())
        using (var noGrad = torch.no_grad())
        {
            model.eval();
            using var batch = TokenClassificationBatch.Collate(data.Windows.ToArray(), tokenizer, null);
            var logits = model.forward(batch.Inputs.InputIds, batch.Inputs.AttentionMask, batch.Inputs.TokenTypeIds, null).Logits;
            int length = (int)logits.shape[1], labelCount = (int)logits.shape[2];
            var flat = logits.log_softmax(-1).data<float>().ToArray();
            var rowsPerWindow = Enumerable.Range(0, data.Windows.Count).Select(w => (IReadOnlyList<int>)Enumerable.Range(w * length, length).ToArray()).ToList();
            reference = WordAlignment.WordPredictions(data.Windows, rowsPerWindow, fallback: -1)
                .Select(words => words.Select(row => flat.AsSpan(row * labelCount, labelCount).ToArray()).ToArray()).ToArray();
            model.train();
        }
        var (logProbs, _) = TokenClassificationPredictor.PredictLogProbs(model, tokenizer, data.Windows, new TokenClassificationOptions());
        var (argmax, _) = TokenClassificationPredictor.PredictIds(model, tokenizer, data.Windows, new TokenClassificationOptions());
        Assert.Equal(reference.Length, argmax.Length);
        int exact = 0, words = 0;
        for (int s = 0; s < reference.Length; s++)
        {
            Assert.Equal(reference[s].Length, argmax[s].Length);
            for (int w = 0; w < reference[s].Length; w++, words++)
            {
                var row = reference[s][w];
                Assert.Equal(Array.IndexOf(logProbs[s][w], logProbs[s][w].Max()), argmax[s][w]); // argmax decoding of the predictor's own numbers
                Assert.True(row.Zip(logProbs[s][w]).All(p => Math.Abs(p.First - p.Second) < 1e-4), $"sentence {s} word {w}: log-probabilities differ from the one-batch reference");
                Assert.True(row[argmax[s][w]] >= row.Max() - 1e-4, $"sentence {s} word {w}: label {argmax[s][w]} is not the reference argmax {Array.IndexOf(row, row.Max())}");
                if (argmax[s][w] == Array.IndexOf(row, row.Max())) exact++;
            }
        }
        Assert.Equal(data.Words.Sum(w => w.Count), words);
        Assert.True(exact >= words - 2, $"only {exact} of {words} words took the reference argmax");

        var constrainedOptions = new TokenClassificationOptions { Decoding = TagDecoding.Iob2Constrained };
        Assert.Throws<ArgumentNullException>(() => TokenClassificationPredictor.PredictIds(model, tokenizer, data.Windows, constrainedOptions));
        var (constrained, _) = TokenClassificationPredictor.PredictIds(model, tokenizer, data.Windows, constrainedOptions, data.Labels);
        Assert.Equal(data.SentenceCount, constrained.Length);
        for (int s = 0; s < constrained.Length; s++)
        {
            Assert.Equal(data.Words[s].Count, constrained[s].Length);
            var tags = constrained[s].Select(id => data.Labels[id]).ToArray();
            Assert.True(Iob2Check.IsValid(tags), $"sentence {s}: {string.Join(" ", tags)}");
        }
        // An untrained tagger produces invalid argmax sequences, and the constrained reading must repair those.
        var invalid = Enumerable.Range(0, argmax.Length).Where(s => !Iob2Check.IsValid(argmax[s].Select(id => data.Labels[id]).ToArray())).ToList();
        Assert.NotEmpty(invalid);
        Assert.All(invalid, s => Assert.NotEqual(argmax[s], constrained[s]));
    }

    [Fact]
    public void A_model_with_the_wrong_number_of_labels_is_refused()
    {
        var tokenizer = ner.Tokenizer;
        var data = TokenClassificationData.Create(tokenizer, Words, Tags, NerLabels.All);
        using var model = new BertForTokenClassification(NerFixture.TinyConfig().WithLabels(["O", "B-X"]));
        var ex = Assert.Throws<ArgumentException>(() => TokenClassificationTask.Create(model, tokenizer, data));
        Assert.Contains("2 labels", ex.Message);
    }

    [Fact]
    public void Unknown_tag_names_the_sentence_word_and_tag()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            TokenClassificationData.Create(Tokenizer, [["Paris", "is"]], [["B-CITY", "O"]], NerLabels.All));
        Assert.Contains("sentence 0, word 0 'Paris': tag 'B-CITY'", ex.Message);
    }
}
