; null_write.asm — "rax now points to your new memory" ... unless malloc failed.
;
; The post: "Never access memory you didn't allocate (Segfault)".
; The bug: the program asks for more memory than any machine has (2^62 bytes), does not
; check that malloc returned NULL, and stores through the NULL pointer.
; What memboss reports: a null-dereference (a WRITE in the first page of the address space),
; then the program dies of SIGSEGV as it would without memboss (exit status 139).

        default rel
        extern  malloc, free, printf
        global  main

        section .rodata
fmt:    db      "stored 0x%lx", 10, 0

        section .text
main:
        push    rbx
        mov     rdi, 1 << 62            ; 4 EiB: malloc returns NULL
        call    malloc
        mov     rbx, rax                ; BUG: no `test rax, rax` / `jz` here

        mov     rcx, 0xDEADBEEF
        mov     [rbx], rcx              ; write through NULL
        mov     rsi, [rbx]
        lea     rdi, [fmt]
        xor     eax, eax
        call    printf

        mov     rdi, rbx
        call    free
        xor     eax, eax
        pop     rbx
        ret

        section .note.GNU-stack noalloc noexec nowrite progbits
