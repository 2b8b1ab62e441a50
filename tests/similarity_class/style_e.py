"""Verbose beginner style: many temporaries, numpy-ish shape bookkeeping, explicit enumerate."""


def compute_saliency_maps(X, y, model):
    model.eval()
    N, C, H, W = X.shape
    X_var = X.clone().detach()
    X_var.requires_grad = True
    all_scores = model(X_var)
    chosen = []
    for idx, label in enumerate(y.tolist()):
        chosen.append(all_scores[idx, label])
    chosen_scores = torch.stack(chosen)
    model.zero_grad()
    chosen_scores.backward(torch.ones(N))
    gradients = X_var.grad.data
    absolute = gradients.abs()
    saliency = torch.zeros(N, H, W)
    for idx in range(N):
        saliency[idx] = absolute[idx].max(dim=0)[0]
    return saliency


def make_fooling_image(X, target_y, model):
    learning_rate = 1
    max_iterations = 100
    X_fooling = X.clone().requires_grad_()
    count = 0
    for count in range(max_iterations):
        output = model(X_fooling)
        _, guess = output.max(dim=1)
        if guess.item() == target_y:
            print('Fooled the model after', count, 'steps')
            break
        target_score = output[0, target_y]
        model.zero_grad()
        if X_fooling.grad is not None:
            X_fooling.grad.data.zero_()
        target_score.backward()
        gradient = X_fooling.grad.data
        norm_of_gradient = gradient.norm()
        dX = learning_rate * gradient / norm_of_gradient
        X_fooling.data = X_fooling.data + dX
    return X_fooling.detach()


def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    output = model(img)
    target_score = output[0, target_y]
    norm_squared = (img.data * img.data).sum()
    objective = target_score - l2_reg * torch.norm(img) ** 2
    model.zero_grad()
    objective.backward()
    gradient = img.grad.data
    norm_of_gradient = gradient.norm()
    step = learning_rate * gradient / norm_of_gradient
    img.data = img.data + step
    img.grad.data.zero_()


def capture_activations(model, X, layers):
    modules = dict(model.named_modules())
    activations = {}
    hook_handles = []
    for index, layer_name in enumerate(layers):
        layer_module = modules[layer_name]
        def make_hook(saved_name):
            def the_hook(module, module_input, module_output):
                activations[saved_name] = module_output
            return the_hook
        handle = layer_module.register_forward_hook(make_hook(layer_name))
        hook_handles.append(handle)
    try:
        output = model(X)
    finally:
        for handle in hook_handles:
            handle.remove()
    return activations


def filter_visualization_update_step(img, model, layer, channel, l2_reg, learning_rate):
    saved = capture_activations(model, img, [layer])
    feature = saved[layer]
    channel_mean = feature[0, channel, :, :].mean()
    objective = channel_mean - l2_reg * torch.norm(img) ** 2
    model.zero_grad()
    objective.backward()
    gradient = img.grad.data
    norm_of_gradient = gradient.norm()
    step = learning_rate * gradient / norm_of_gradient
    img.data = img.data + step
    img.grad.data.zero_()
