"""expect-fail: none
Every function one image at a time (the objective through img.norm() ** 2), and stray cells
that raise: a typo above the stubs, a missing file below a demo, an experiment that puts the
model in training mode. None of them costs a point."""
# %% before compute_saliency_maps
print(X_tensr.shape)  # typo: this cell raises NameError, the kernel goes on
# %% compute_saliency_maps
def compute_saliency_maps(X, y, model):
    model.eval()
    maps = []
    for image, label in zip(X, y):
        image = image.unsqueeze(0).clone().requires_grad_()
        model(image)[0, label].backward()
        maps.append(image.grad[0].abs().max(dim=0)[0])
    return torch.stack(maps)
# %% after compute_saliency_maps
import numpy as np
np.load("my_own_file.npy")  # a file that is not there
# %% before make_fooling_image
model.train()  # a stray experiment; the functions must cope with the mode anyway
# %% make_fooling_image
def make_fooling_image(X, target_y, model):
    X_fooling = X.clone().requires_grad_()
    for _ in range(100):
        scores = model(X_fooling)
        _, predicted = scores.max(1)
        if predicted.item() == target_y:
            break
        model.zero_grad()
        scores[:, target_y].sum().backward()
        dX = X_fooling.grad / X_fooling.grad.norm()
        X_fooling.data.add_(dX)
        X_fooling.grad.data.zero_()
    return X_fooling.detach().clone()
# %% class_visualization_update_step
def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    img.grad = None
    objective = model(img)[0, target_y] - l2_reg * img.norm() ** 2
    objective.backward()
    img.data.add_(learning_rate * img.grad.data / img.grad.data.norm())
# %% capture_activations
def capture_activations(model, X, layers):
    activations = {}
    handles = []
    try:
        for name in layers:
            module = model.get_submodule(name)
            handles.append(module.register_forward_hook(
                lambda module, args, output, key=name: activations.__setitem__(key, output)))
        model(X)
        return activations
    finally:
        while handles:
            handles.pop().remove()
# %% filter_visualization_update_step
def filter_visualization_update_step(img, model, layer, channel, l2_reg, learning_rate):
    img.grad = None
    target = capture_activations(model, img, [layer])[layer][0, channel]
    (target.mean() - l2_reg * img.norm() ** 2).backward()
    img.data += learning_rate * img.grad / img.grad.norm()
# %% smooth_grad
def smooth_grad(X, y, model, noise):
    was_training = model.training
    model.eval()
    maps = []
    for n in range(X.shape[0]):
        total = 0
        for k in range(noise.shape[0]):
            image = (X[n:n + 1] + noise[k, n:n + 1]).clone().requires_grad_()
            model(image)[0, y[n]].backward()
            total = total + image.grad[0].abs().max(dim=0)[0]
        maps.append(total / noise.shape[0])
    model.train(was_training)
    return torch.stack(maps)
# %% integrated_gradients
def integrated_gradients(X, y, model, baseline, steps):
    was_training = model.training
    model.eval()
    result = []
    for n in range(X.shape[0]):
        grads = torch.zeros_like(X[n])
        for k in range(1, steps + 1):
            point = baseline[n] + k / steps * (X[n] - baseline[n])
            point = point.unsqueeze(0).detach().requires_grad_()
            model(point)[0, y[n]].backward()
            grads += point.grad[0]
        result.append((X[n] - baseline[n]) * grads / steps)
    model.train(was_training)
    return torch.stack(result).detach()
# %% grad_cam
def grad_cam(X, y, model, layer):
    module = dict(model.named_modules())[layer]
    was_training = model.training
    model.eval()
    cams = []
    for n in range(X.shape[0]):
        saved = {}
        def keep(module, inputs, output):
            output.retain_grad()
            saved["A"] = output
        handle = module.register_forward_hook(keep)
        try:
            model(X[n:n + 1].clone().requires_grad_())[0, y[n]].backward()
        finally:
            handle.remove()
        A = saved["A"]
        weights = A.grad[0].mean(dim=(1, 2))
        cam = torch.relu((weights[:, None, None] * A[0]).sum(dim=0))
        cams.append(F.interpolate(cam[None, None], size=X.shape[2:], mode="bilinear", align_corners=False)[0, 0])
    model.train(was_training)
    return torch.stack(cams).detach()
