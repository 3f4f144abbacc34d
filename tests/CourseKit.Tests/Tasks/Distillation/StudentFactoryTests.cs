using CourseKit.Models;
using CourseKit.Tasks.Distillation;
using TorchSharp;

namespace CourseKit.Tests.Tasks.Distillation;

[KeepTensorsAlive]
public class StudentFactoryTests(TinyTeacherFixture tiny) : IClassFixture<TinyTeacherFixture>
{
    static bool Same(torch.Tensor a, torch.Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    [Theory]
    [InlineData(6, 3, new[] { 0, 2, 4 })]
    [InlineData(6, 2, new[] { 0, 3 })]
    [InlineData(12, 6, new[] { 0, 2, 4, 6, 8, 10 })]
    public void Every_other_layer_is_evenly_spaced_from_the_bottom(int teacherLayers, int studentLayers, int[] expected) =>
        Assert.Equal(expected, StudentFactory.EveryOtherLayer(teacherLayers, studentLayers));

    [Fact]
    public void The_3_layer_student_copies_exactly_the_named_teacher_tensors()
    {
        var student = StudentFactory.Create("3L", tiny.Teacher, tiny.Tokenizer, seed: 1);
        var studentState = student.Model.state_dict();
        var teacherState = tiny.Teacher.state_dict();
        Assert.Equal(3, student.Model.Config.NumHiddenLayers);
        Assert.Equal(studentState.Keys.Order(), student.CopiedFrom.Keys.Order());

        // Written out independently of the factory: layer j of the student comes from layer 2j of the teacher.
        string Expected(string name)
        {
            const string prefix = "bert.encoder.layer.";
            if (!name.StartsWith(prefix)) return name;
            var rest = name[prefix.Length..];
            return prefix + (2 * int.Parse(rest[..rest.IndexOf('.')])) + rest[rest.IndexOf('.')..];
        }
        foreach (var (name, tensor) in studentState)
        {
            Assert.Equal(Expected(name), student.CopiedFrom[name]);
            Assert.True(Same(tensor, teacherState[Expected(name)]), $"{name} differs from the teacher's {Expected(name)}");
        }
        Assert.Contains("bert.embeddings.word_embeddings.weight", student.CopiedFrom.Keys);
        Assert.Contains("classifier.weight", student.CopiedFrom.Keys);
        var sourceLayers = student.CopiedFrom.Values.Where(v => v.StartsWith("bert.encoder.layer.")).Select(v => v.Split('.')[3]).Distinct().Order();
        Assert.Equal(["0", "2", "4"], sourceLayers);

        // A copy, not a view: training the student leaves the teacher alone.
        using (torch.no_grad()) studentState["bert.embeddings.word_embeddings.weight"].add_(1);
        Assert.False(Same(studentState["bert.embeddings.word_embeddings.weight"], teacherState["bert.embeddings.word_embeddings.weight"]));
    }

    [Fact]
    public void The_random_student_has_the_same_shape_and_none_of_the_teacher_weights()
    {
        var student = StudentFactory.Create("2L-random", tiny.Teacher, tiny.Tokenizer, seed: 1);
        Assert.Equal(2, student.Model.Config.NumHiddenLayers);
        Assert.Empty(student.CopiedFrom);
        var teacherState = tiny.Teacher.state_dict();
        foreach (var (name, tensor) in student.Model.state_dict())
        {
            Assert.Equal(teacherState[name].shape, tensor.shape);
            if (name.EndsWith(".weight") && !name.Contains("LayerNorm"))
                Assert.False(Same(tensor, teacherState[name]), $"{name} equals the teacher's");
        }
    }

    [Fact]
    public void Unknown_students_are_named_with_the_known_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => StudentFactory.Parse("5L"));
        Assert.Contains("2L, 3L, 2L-random, 3L-random, kit", e.Message);
    }
}
