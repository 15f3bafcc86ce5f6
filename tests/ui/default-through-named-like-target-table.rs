// The user's target model has the table `post_tags`, which is also the
// default junction table of `Post.tags`.
use m2m::{ManyToMany, Model};

#[derive(Model)]
#[model(table = "post_tags")]
struct Tag {
    id: i64,
}

#[derive(Model)]
struct Post {
    id: i64,
    #[many_to_many(related_name = "posts")]
    tags: ManyToMany<Tag>,
}

fn main() {}
