"""The training loop: whole-network gradients against torch.autograd, determinism, edits."""

import numpy as np
import pytest

from workbench.core import Filter, Layer, Pipeline, Pool, conv2d, get_preset
from workbench.core.train import DenseHead, Trainer, train


def _net(seed=0, pool="max", activation="relu"):
    rng = np.random.default_rng(seed)
    l1 = Layer(tuple(Filter(f"a{i}", rng.normal(0, 0.5, (1, 3, 3)), float(rng.normal()))
                     for i in range(3)), padding="same", activation=activation,
               pool=Pool(pool, (2, 2)))
    l2 = Layer(tuple(Filter(f"b{i}", rng.normal(0, 0.5, (3, 3, 3)), 0.1 * i)
                     for i in range(4)), stride=(1, 1), padding=(1, 1), dilation=(2, 1),
               activation="tanh", pool=Pool("avg", (2, 2)))
    return Pipeline("gray", (l1, l2))


def _torch_grads(torch, pipeline, head, x, labels):
    F = torch.nn.functional
    t = torch.tensor(x, dtype=torch.float64)
    params = []
    for layer in pipeline.layers:
        w = torch.tensor(np.stack([f.weight for f in layer.filters]), dtype=torch.float64,
                         requires_grad=True)
        b = torch.tensor([f.bias for f in layer.filters], dtype=torch.float64,
                         requires_grad=True)
        params += [w, b]
        t = F.conv2d(t, w, b, stride=layer.stride, padding=layer.padding,
                     dilation=layer.dilation, groups=layer.groups)
        t = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
             "none": lambda v: v}[layer.activation](t)
        if layer.pool.kind == "max":
            t = F.max_pool2d(t, layer.pool.size)
        elif layer.pool.kind == "avg":
            t = F.avg_pool2d(t, layer.pool.size)
    hw = torch.tensor(head.weight, dtype=torch.float64, requires_grad=True)
    hb = torch.tensor(head.bias, dtype=torch.float64, requires_grad=True)
    logits = t.reshape(t.shape[0], -1) @ hw.T + hb
    loss = F.cross_entropy(logits, torch.tensor(labels))
    loss.backward()
    return float(loss.detach()), [p.grad.numpy() for p in params + [hw, hb]]


def test_whole_network_gradients_equal_torch_autograd(torch):
    rng = np.random.default_rng(1)
    x = rng.random((5, 1, 12, 12), dtype=np.float32)
    labels = rng.integers(0, 3, 5)
    pipeline = _net()
    head = DenseHead.initial(4 * 2 * 3, 3, seed=2)
    trainer = Trainer(pipeline, x, labels, loss="cross_entropy", head=head)
    loss, grads, accuracy, out = trainer.loss_and_grads(x, labels)
    ref_loss, ref_grads = _torch_grads(torch, pipeline, head, x.astype(np.float64), labels)
    assert out.shape == (5, 4, 2, 3)
    assert loss == pytest.approx(ref_loss, rel=1e-5)
    assert 0.0 <= accuracy <= 1.0
    assert len(grads) == len(ref_grads) == 6
    for ours, ref in zip(grads, ref_grads, strict=True):
        assert ours.shape == ref.shape
        np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-5 * np.abs(ref).max())


def test_mse_training_recovers_a_hidden_kernel():
    rng = np.random.default_rng(0)
    # a smooth random "photo": neighbouring pixels correlated, as in real images
    noise = rng.random((1, 1, 72, 72), dtype=np.float32)
    x = conv2d(noise, np.full((1, 1, 5, 5), 1 / 25, np.float32))
    x = (x - x.mean()) / x.std()
    hidden = get_preset("sobel_x").kernel
    target = conv2d(x, hidden[None, None])
    start = Pipeline("gray", (Layer((Filter("learned", np.zeros((1, 3, 3))),)),))
    trainer = Trainer(start, x, target, optimizer="sgd", lr=0.1, train_bias=False)
    first = trainer.step()
    for _ in range(800):
        last = trainer.step()
    assert last.loss < first.loss * 1e-6
    learned = last.pipeline.layers[0].filters[0].weight[0]
    np.testing.assert_allclose(learned, hidden, atol=1e-4)
    assert last.pipeline.layers[0].filters[0].bias == 0.0


def test_training_is_deterministic_for_a_seed():
    rng = np.random.default_rng(3)
    x = rng.random((40, 1, 12, 12), dtype=np.float32)
    labels = rng.integers(0, 3, 40)

    def run(seed):
        head = DenseHead.initial(4 * 2 * 3, 3, seed=5)
        steps = list(train(_net(), x, labels, steps=12, loss="cross_entropy", head=head,
                           batch_size=8, seed=seed, lr=0.01))
        return [s.loss for s in steps], steps[-1]

    losses_a, last_a = run(7)
    losses_b, last_b = run(7)
    losses_c, _ = run(8)
    assert losses_a == losses_b
    assert last_a.pipeline == last_b.pipeline
    np.testing.assert_array_equal(last_a.head.weight, last_b.head.weight)
    assert losses_a != losses_c  # another seed draws other batches
    assert last_a.epoch == 3  # 12 steps of 8 out of 40 images: epochs 1, 2, 3 (5 per epoch)


def test_edits_between_steps_apply_at_the_next_step():
    x = np.random.default_rng(0).random((1, 1, 16, 16), dtype=np.float32)
    target = conv2d(x, np.ones((1, 1, 3, 3), np.float32))
    start = Pipeline("gray", (Layer((Filter("w", np.zeros((1, 3, 3))),)),))
    trainer = Trainer(start, x, target, optimizer="sgd", lr=0.01, momentum=0.0)
    trainer.step()
    edited = trainer.pipeline
    weight = np.ones((1, 3, 3), np.float32)
    edited = Pipeline("gray", (Layer((Filter("w", weight),)),))
    trainer.set_pipeline(edited)
    step = trainer.step()
    assert step.loss == pytest.approx(0.0, abs=1e-10)  # the edited kernel is the answer
    trainer.set_lr(0.5)
    assert trainer.lr == 0.5
    with pytest.raises(ValueError, match="same layers"):
        trainer.set_pipeline(Pipeline("gray", (Layer((Filter("w", np.zeros((1, 5, 5))),)),)))
    with pytest.raises(ValueError, match="learning rate"):
        trainer.set_lr(-1)


def test_disabled_filters_are_kept_and_not_learned():
    x = np.random.default_rng(0).random((2, 1, 10, 10), dtype=np.float32)
    frozen = Filter("off", np.full((1, 3, 3), 7.0), enabled=False)
    start = Pipeline("gray", (Layer((Filter("on", np.zeros((1, 3, 3))), frozen)),))
    target = conv2d(x, np.ones((1, 1, 3, 3), np.float32))
    trainer = Trainer(start, x, target)
    step = trainer.step()
    layer = step.pipeline.layers[0]
    assert layer.filters[1] == frozen
    assert not np.array_equal(layer.filters[0].weight, np.zeros((1, 3, 3)))


def test_bad_arguments_are_clear_errors():
    x = np.zeros((2, 1, 8, 8), np.float32)
    start = Pipeline("gray", (Layer((Filter("w", np.zeros((1, 3, 3))),)),))
    with pytest.raises(ValueError, match="do not match the output"):
        Trainer(start, x, np.zeros((2, 1, 8, 8)))
    with pytest.raises(ValueError, match="needs a dense head"):
        Trainer(start, x, np.array([0, 1]), loss="cross_entropy")
    head = DenseHead.initial(36, 2)
    with pytest.raises(ValueError, match="labels must lie"):
        Trainer(start, x, np.array([0, 5]), loss="cross_entropy", head=head)
    with pytest.raises(ValueError, match="optimizer"):
        Trainer(start, x, np.zeros((2, 1, 6, 6)), optimizer="lbfgs")
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        Trainer(start, x[0], np.zeros((1, 6, 6)))
